"""batch/v1 CronJobs and Jobs: stored with the apiserver's defaulting and validation. No controller:
a CronJob never starts a Job and a Job never runs pods (keyd's tests start keyd themselves)."""

from .strategies import Strategy, default_pod_spec, validate_pod_spec
from .util import FieldError

JOB_RESTART = ("OnFailure", "Never")


def _default_job_spec(spec):
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {})
    default_pod_spec(template.setdefault("spec", {}))


def _validate_job_spec(spec, path):
    errs = []
    pod = ((spec or {}).get("template") or {}).get("spec") or {}
    errs.extend(validate_pod_spec(pod, path + ".template.spec"))
    if pod.get("restartPolicy") not in JOB_RESTART:
        errs = [e for e in errs if not e.field.endswith(".restartPolicy")]
        errs.append(FieldError("NotSupported", path + ".template.spec.restartPolicy", '"OnFailure", "Never"',
                               pod.get("restartPolicy")))
    return errs


class JobStrategy(Strategy):
    generation = True
    status_sub = True

    def spec_of(self, obj):
        return obj.get("spec")

    def default(self, obj):
        _default_job_spec(obj.setdefault("spec", {}))

    def on_create(self, obj):
        obj["status"] = {}

    def validate(self, obj):
        return _validate_job_spec(obj.get("spec"), "spec")


class CronJobStrategy(Strategy):
    generation = True
    status_sub = True

    def spec_of(self, obj):
        return obj.get("spec")

    def default(self, obj):
        spec = obj.setdefault("spec", {})
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
        job = spec.setdefault("jobTemplate", {})
        job.setdefault("metadata", {})
        _default_job_spec(job.setdefault("spec", {}))

    def on_create(self, obj):
        obj["status"] = {}

    def validate(self, obj):
        errs = []
        spec = obj.get("spec") or {}
        schedule = spec.get("schedule")
        if not schedule:
            errs.append(FieldError("Required", "spec.schedule", ""))
        elif not (str(schedule).startswith("@") or len(str(schedule).split()) == 5):
            errs.append(FieldError("Invalid", "spec.schedule", "unparseable cron schedule", schedule))
        if spec.get("concurrencyPolicy") not in ("Allow", "Forbid", "Replace"):
            errs.append(FieldError("NotSupported", "spec.concurrencyPolicy", '"Allow", "Forbid", "Replace"',
                                   spec.get("concurrencyPolicy")))
        errs.extend(_validate_job_spec((spec.get("jobTemplate") or {}).get("spec"), "spec.jobTemplate.spec"))
        return errs
