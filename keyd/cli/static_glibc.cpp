// Compiled only into the release binary, which links glibc statically (cmake/Portable.cmake).
//
// A static program cannot use glibc's shared name-service modules: when /etc/nsswitch.conf names one
// (`passwd: files systemd`, `hosts: files mdns4_minimal dns`, sss, ldap, ...) and the lookup gets that
// far, glibc dlopens the module, which brings in the system's shared libc beside the one linked in, and
// the process can crash. It did: the audit actor's getpwuid_r for a user not in /etc/passwd (systemd's
// DynamicUser, which keyd.service uses) crashed with SIGSEGV on a Debian 12 host with libnss_systemd.
// So before main, each database keyd looks up is limited to the sources built into glibc: users and
// groups from /etc/passwd and /etc/group (anyone else is audited as uid:N), hosts from /etc/hosts and
// DNS. docs/install.md says what this leaves out; `release-shared` uses every source.
#include <nss.h>

namespace {

[[gnu::constructor]] void keep_name_service_to_built_in_sources() {
  __nss_configure_lookup("passwd", "files");
  __nss_configure_lookup("group", "files");
  __nss_configure_lookup("hosts", "files dns");
  __nss_configure_lookup("services", "files");
}

}  // namespace
