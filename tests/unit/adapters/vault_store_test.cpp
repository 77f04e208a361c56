// The Vault store against the Vault double over the real curl transport: KV v2 data shape,
// versions, history, deleted/destroyed versions, not found, check-and-set, headers, request counts.
#include "vault_test_helpers.hpp"

namespace keyd::adapters::vault_test {
namespace {

TEST_F(VaultStoreTest, WriteReadMetadataRoundTrip) {
  auto store = make_store();
  const auto written = store->write(k_path, version_data(1), 0);
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(*written, 1);

  const auto got = store->read(k_path, std::nullopt);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->info.version, 1);
  EXPECT_FALSE(got->info.deleted);
  EXPECT_FALSE(got->info.destroyed);
  EXPECT_TRUE(contains(got->info.created_time, "T") && got->info.created_time.ends_with("Z")) << got->info.created_time;
  expect_data_is(got->data, 1);

  const auto meta = store->metadata(k_path);
  ASSERT_TRUE(meta) << meta.error().message;
  EXPECT_EQ(meta->current_version, 1);
  ASSERT_EQ(meta->versions.size(), 1U);
  EXPECT_EQ(meta->versions[0].version, 1);
  EXPECT_EQ(meta->versions[0].created_time, got->info.created_time);
  EXPECT_FALSE(meta->created_time.empty());
  EXPECT_FALSE(meta->updated_time.empty());

  const std::string description = store->describe();
  EXPECT_FALSE(description.empty());
  expect_clean(description);
}

TEST_F(VaultStoreTest, StoresExactlyTheFourFieldsAndMarksThePathManaged) {
  auto store = make_store();
  ASSERT_TRUE(store->write(k_path, version_data(1), 0));

  const auto read = m_vault->api("GET", std::string("secret/data/") + k_path);
  ASSERT_EQ(read.status, 200) << read.raw_body;
  EXPECT_EQ(read.body["data"]["data"], stored_data(1));  // exactly these four keys and values
  EXPECT_EQ(read.body["data"]["data"]["swarm.key"].get<std::string>(), key_text(1));
  EXPECT_EQ(read.body["data"]["metadata"]["custom_metadata"], (json{{"managed-by", "keyd"}}));

  const auto meta = m_vault->api("GET", std::string("secret/metadata/") + k_path);
  ASSERT_EQ(meta.status, 200) << meta.raw_body;
  EXPECT_EQ(meta.body["data"]["custom_metadata"], (json{{"managed-by", "keyd"}}));

  // The marker is set on the first write only.
  m_vault->clear_requests();
  ASSERT_TRUE(store->write(k_path, version_data(2), 1));
  EXPECT_EQ(count("POST", k_data_path), 1);
  EXPECT_EQ(count("", k_metadata_path), 0);
  const auto second = m_vault->api("GET", std::string("secret/data/") + k_path);
  EXPECT_EQ(second.body["data"]["data"], stored_data(2));
  EXPECT_EQ(second.body["data"]["metadata"]["version"], 2);
}

TEST_F(VaultStoreTest, VersionsHistoryAndOldVersions) {
  auto store = make_store();
  write_versions(*store, 3);
  const auto meta = store->metadata(k_path);
  ASSERT_TRUE(meta) << meta.error().message;
  EXPECT_EQ(meta->current_version, 3);
  ASSERT_EQ(meta->versions.size(), 3U);
  for (int v = 1; v <= 3; ++v) {
    const auto& info = meta->versions[static_cast<std::size_t>(v - 1)];
    EXPECT_EQ(info.version, v);
    EXPECT_FALSE(info.deleted);
    EXPECT_FALSE(info.destroyed);
    const auto got = store->read(k_path, v);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->info.version, v);
    EXPECT_EQ(got->info.created_time, info.created_time);
    expect_data_is(got->data, v);
  }
  const auto latest = store->read(k_path, std::nullopt);
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->info.version, 3);
  expect_data_is(latest->data, 3);
  // ?version=1 went to Vault for the old version.
  const auto reads = logged("GET", k_data_path);
  EXPECT_TRUE(std::any_of(reads.begin(), reads.end(), [](const json& r) { return r["query"].value("version", "") == "1"; }));
}

TEST_F(VaultStoreTest, SoftDeletedAndDestroyedVersionsAreNotFoundAndSaySo) {
  auto store = make_store();
  write_versions(*store, 4);
  ASSERT_EQ(m_vault->api("POST", std::string("secret/delete/") + k_path, {{"versions", {1}}}).status, 204);
  ASSERT_EQ(m_vault->api("POST", std::string("secret/destroy/") + k_path, {{"versions", {2}}}).status, 204);
  ASSERT_EQ(m_vault->api("DELETE", std::string("secret/data/") + k_path).status, 204);  // soft-deletes 4

  const auto deleted = store->read(k_path, 1);
  ASSERT_FALSE(deleted);
  EXPECT_EQ(code_of(deleted.error()), "not_found");
  EXPECT_TRUE(contains(deleted.error().message, "deleted")) << deleted.error().message;
  expect_clean(deleted.error());

  const auto destroyed = store->read(k_path, 2);
  ASSERT_FALSE(destroyed);
  EXPECT_EQ(code_of(destroyed.error()), "not_found");
  EXPECT_TRUE(contains(destroyed.error().message, "destroyed")) << destroyed.error().message;
  expect_clean(destroyed.error());

  const auto current = store->read(k_path, std::nullopt);
  ASSERT_FALSE(current);
  EXPECT_EQ(code_of(current.error()), "not_found");
  EXPECT_TRUE(contains(current.error().message, "deleted")) << current.error().message;

  const auto kept = store->read(k_path, 3);
  ASSERT_TRUE(kept) << kept.error().message;
  expect_data_is(kept->data, 3);

  const auto meta = store->metadata(k_path);
  ASSERT_TRUE(meta) << meta.error().message;
  EXPECT_EQ(meta->current_version, 4);
  ASSERT_EQ(meta->versions.size(), 4U);
  EXPECT_TRUE(meta->versions[0].deleted);
  EXPECT_FALSE(meta->versions[0].destroyed);
  EXPECT_TRUE(meta->versions[1].destroyed);
  EXPECT_FALSE(meta->versions[2].deleted);
  EXPECT_FALSE(meta->versions[2].destroyed);
  EXPECT_TRUE(meta->versions[3].deleted);
}

TEST_F(VaultStoreTest, MissingPathOrVersionIsNotFoundWithoutRetries) {
  auto store = make_store();
  const auto missing = store->read("never/written", std::nullopt);
  ASSERT_FALSE(missing);
  EXPECT_EQ(code_of(missing.error()), "not_found");
  expect_clean(missing.error());
  EXPECT_EQ(count("GET", "/v1/secret/data/never/written"), 1);
  const auto no_meta = store->metadata("never/written");
  ASSERT_FALSE(no_meta);
  EXPECT_EQ(code_of(no_meta.error()), "not_found");

  write_versions(*store, 1);
  const auto no_version = store->read(k_path, 7);
  ASSERT_FALSE(no_version);
  EXPECT_EQ(code_of(no_version.error()), "not_found");
  EXPECT_TRUE(m_clock.sleeps().empty());
}

TEST_F(VaultStoreTest, CasConflictFromAnotherWriterKeepsTheirVersion) {
  auto store = make_store();
  write_versions(*store, 1);
  const auto before = store->read(k_path, std::nullopt);
  ASSERT_TRUE(before);
  const int seen = before->info.version;

  // Someone else rotates between our read and our write.
  const auto other = m_vault->control(
      "POST", "kv", {{"mount", "secret"}, {"path", k_path}, {"data", stored_data(7, "other-writer")}});
  ASSERT_EQ(other["version"], 2);

  m_vault->clear_requests();
  const auto written = store->write(k_path, version_data(3), seen);
  ASSERT_FALSE(written);
  EXPECT_EQ(code_of(written.error()), "conflict") << written.error().message;
  expect_clean(written.error());
  EXPECT_EQ(count("POST", k_data_path), 1);  // a conflict is final: no retry
  EXPECT_TRUE(m_clock.sleeps().empty());

  const auto now = store->read(k_path, std::nullopt);
  ASSERT_TRUE(now) << now.error().message;
  EXPECT_EQ(now->info.version, 2);
  expect_data_is(now->data, 7, "other-writer");
  const auto raw = m_vault->api("GET", std::string("secret/data/") + k_path);
  EXPECT_EQ(raw.body["data"]["data"], stored_data(7, "other-writer"));
  EXPECT_EQ(store->metadata(k_path)->current_version, 2);

  // A stale cas of 0 against an existing path is a conflict too.
  const auto recreate = store->write(k_path, version_data(4), 0);
  ASSERT_FALSE(recreate);
  EXPECT_EQ(code_of(recreate.error()), "conflict");
}

TEST_F(VaultStoreTest, SendsVaultHeadersAndNamespace) {
  auto o = options();
  o.namespace_name = "team-a";
  auto store = make_store(std::move(o));
  write_versions(*store, 1);
  ASSERT_TRUE(store->read(k_path, std::nullopt));
  ASSERT_TRUE(store->metadata(k_path));
  const auto all = m_vault->requests();
  ASSERT_FALSE(all.empty());
  for (const auto& r : all) {
    EXPECT_TRUE(r["x_vault_request"].get<bool>()) << r.dump();
    EXPECT_EQ(r["namespace"], "team-a") << r.dump();
    EXPECT_EQ(r["auth"], "X-Vault-Token") << r.dump();
  }
  // The data went to the namespace, not the root.
  EXPECT_EQ(m_vault->api("GET", std::string("secret/data/") + k_path).status, 404);
}

TEST_F(VaultStoreTest, CountsHttpRequestsForWriteAndRead) {
  // Token auth: no lookup-self in a short-lived client (VaultClient looks the token up only after
  // k_token_lookup_after); a first write is POST data + POST metadata (managed-by marker); a later
  // write is one POST; a read is one GET.
  auto writer = make_store();
  ASSERT_TRUE(writer->write(k_path, version_data(1), 0));
  const int first_write = count("");
  EXPECT_EQ(count("GET", "/v1/auth/token/lookup-self"), 0);
  EXPECT_EQ(count("POST", k_data_path), 1);
  EXPECT_EQ(count("POST", k_metadata_path) + count("PUT", k_metadata_path), 1);
  EXPECT_EQ(first_write, 2);

  m_vault->clear_requests();
  ASSERT_TRUE(writer->write(k_path, version_data(2), 1));
  const int next_write = count("");
  EXPECT_EQ(next_write, 1);

  m_vault->clear_requests();
  auto reader = make_store();
  ASSERT_TRUE(reader->read(k_path, std::nullopt));
  const int fresh_read = count("");
  EXPECT_EQ(fresh_read, 1);  // GET data
  m_vault->clear_requests();
  ASSERT_TRUE(reader->read(k_path, 1));
  const int warm_read = count("");
  EXPECT_EQ(warm_read, 1);
  std::cout << "vault HTTP requests: first write (new store, new path) " << first_write << ", next write "
            << next_write << ", read (new store) " << fresh_read << ", read (warm) " << warm_read << "\n";
}

TEST_F(VaultStoreTest, MalformedJsonIsAClearErrorNamingThePath) {
  auto store = make_store();
  write_versions(*store, 1);
  m_vault->control("POST", "faults", {{"method", "GET"}, {"path", "^/v1/secret/data/"}, {"action", "malformed"},
                                      {"status", 200}, {"times", nullptr}});
  const LogCapture logs;
  const auto got = store->read(k_path, std::nullopt);
  ASSERT_FALSE(got);
  EXPECT_TRUE(got.error().code == ErrorCode::internal || got.error().code == ErrorCode::unavailable)
      << to_string(got.error().code) << ": " << got.error().message;
  EXPECT_TRUE(contains(got.error().message, std::string("secret/data/") + k_path)) << got.error().message;
  expect_clean(got.error());
  expect_clean(logs.text());
  EXPECT_LE(count("GET", k_data_path), 4);
}

}  // namespace
}  // namespace keyd::adapters::vault_test
