//! Issue 20 point 5: a peer scanner agrees. checkov (pinned in tests/support/checkov-requirements.txt, installed
//! by scripts/test into target/checkov-venv) scans the CloudFormation and Terraform exports, offline
//! (`--skip-download`). On the end-user-messaging setup's exports and on every tightened document none of its IAM
//! policy checks fails; on the guides' documents each policy check it fails is matched by one of our findings on
//! the same document. CKV_AWS_40 (a policy attached to a user) and CKV_AWS_273 (an IAM user at all) are the
//! Postman design itself: our findings carry them as suggestions.

mod support;

use pinpoint_iam_wizard::setup::findings::{Finding, Severity, of_document};
use pinpoint_iam_wizard::setup::{Params, Selection};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

const BUCKET: &str = "pinpoint-imports";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// checkov's IAM policy checks: CloudFormation, then Terraform.
const POLICY_CHECKS: &[&str] = &[
    "CKV_AWS_107",
    "CKV_AWS_108",
    "CKV_AWS_109",
    "CKV_AWS_110",
    "CKV_AWS_111",
    "CKV_AWS_286",
    "CKV_AWS_287",
    "CKV_AWS_288",
    "CKV_AWS_289",
    "CKV_AWS_290",
    "CKV_AWS_355",
];

/// The checks about the user's custody, which our findings carry as suggestions.
const USER_CHECKS: &[&str] = &["CKV_AWS_40", "CKV_AWS_273"];

/// One export: the setup, whether tightened, and the directory name under the scan's root.
struct Case {
    setup: &'static str,
    tighten: bool,
}

impl Case {
    fn name(&self) -> String {
        format!("{}{}", self.setup, if self.tighten { "-tightened" } else { "" })
    }

    fn params(&self) -> Params {
        let setup: Selection = self.setup.parse().unwrap();
        let mut p = Params::new(setup, "210987654321".parse().unwrap(), REGION.parse().unwrap());
        p.bucket = setup.needing(pinpoint_iam_wizard::setup::Param::Bucket).map(|_| BUCKET.parse().unwrap());
        p.project = setup.needing(pinpoint_iam_wizard::setup::Param::Project).map(|_| PROJECT.parse().unwrap());
        p.tighten = self.tighten;
        p
    }

    /// Our findings on the policy `name`.
    fn findings(&self, name: &str) -> Vec<Finding> {
        let d = self.params().desired().unwrap();
        let view = d.documents().into_iter().find(|v| v.title == name).unwrap_or_else(|| panic!("{name}"));
        of_document(&d, &view)
    }

    /// The CloudFormation template and the Terraform directory, written by the real binary under `root`.
    fn export(&self, root: &Path) {
        let p = self.params();
        let dir = root.join(self.name());
        std::fs::create_dir_all(&dir).unwrap();
        let mut base =
            vec!["export".to_string(), "--setup".into(), self.setup.into(), "--region".into(), REGION.into()];
        if let Some(b) = &p.bucket {
            base.extend(["--bucket".into(), b.to_string()]);
        }
        if let Some(pr) = &p.project {
            base.extend(["--project-id".into(), pr.to_string()]);
        }
        if self.tighten {
            base.push("--tighten".into());
        }
        for (format, out) in [("cloudformation", dir.join("template.yaml")), ("terraform", dir.join("terraform"))] {
            let mut args = base.clone();
            args.extend(["--as".into(), format.into(), "--out".into(), out.to_str().unwrap().into()]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = run_with_env(&args, &base_env());
            assert!(o.status.success(), "{}: {}", self.name(), stderr(&o));
        }
    }
}

/// One check's verdict on one resource.
#[derive(Debug, Clone)]
struct Verdict {
    check: String,
    passed: bool,
    /// The export it is in (the case's name).
    case: String,
    /// The IAM name of the resource (`PostmanAccessPolicy`), read from the file at the check's lines.
    name: String,
    resource: String,
}

fn checkov() -> PathBuf {
    let p = root().join("target/checkov-venv/bin/checkov");
    assert!(
        p.exists(),
        "{} is missing: run scripts/test (it installs tests/support/checkov-requirements.txt)",
        p.display()
    );
    p
}

/// The IAM name in a resource's lines: CloudFormation's `ManagedPolicyName:`/`UserName:`, Terraform's `name =`.
fn iam_name(file: &Path, range: &[u64]) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let (from, to) = (range[0] as usize, range[1] as usize);
    for line in text.lines().skip(from.saturating_sub(1)).take(to + 1 - from) {
        let t = line.trim();
        for key in ["ManagedPolicyName:", "UserName:"] {
            if let Some(v) = t.strip_prefix(key) {
                return v.trim().to_string();
            }
        }
        if let Some(v) = t.strip_prefix("name").and_then(|r| r.trim_start().strip_prefix('=')) {
            return v.trim().trim_matches('"').to_string();
        }
    }
    String::new()
}

/// Run checkov once on everything under `root`, offline, and read every verdict.
fn scan(root: &Path) -> Vec<Verdict> {
    let out = Command::new(checkov())
        .args(["-d", root.to_str().unwrap(), "--framework", "cloudformation", "terraform"])
        .args(["--skip-download", "--compact", "-o", "json"])
        .env_clear()
        .envs(base_env())
        .output()
        .unwrap();
    // Exit 1 means some check failed, which the guides' documents do.
    assert!(matches!(out.status.code(), Some(0 | 1)), "checkov: {}{}", stdout(&out), stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    let reports = match report {
        Value::Array(a) => a,
        one => vec![one],
    };
    let mut verdicts = vec![];
    for r in &reports {
        for (key, passed) in [("passed_checks", true), ("failed_checks", false)] {
            for c in r["results"][key].as_array().unwrap() {
                let file = PathBuf::from(c["file_abs_path"].as_str().unwrap());
                let case = file.strip_prefix(root).unwrap().components().next().unwrap();
                let range: Vec<u64> =
                    c["file_line_range"].as_array().unwrap().iter().filter_map(Value::as_u64).collect();
                verdicts.push(Verdict {
                    check: c["check_id"].as_str().unwrap().into(),
                    passed,
                    case: case.as_os_str().to_str().unwrap().into(),
                    name: iam_name(&file, &range),
                    resource: c["resource"].as_str().unwrap().into(),
                });
            }
        }
    }
    verdicts
}

/// Whether one of our findings answers checkov's failed `check` on the same document.
fn answered(check: &str, ours: &[Finding]) -> bool {
    let any = |p: &dyn Fn(&Finding) -> bool| ours.iter().any(p);
    match check {
        // Permissions management without constraints.
        "CKV_AWS_109" | "CKV_AWS_289" => {
            any(&|f| f.severity == Severity::SecurityWarning && f.message.contains("permissions-management"))
        }
        // Write access without constraints.
        "CKV_AWS_111" | "CKV_AWS_290" => {
            any(&|f| f.severity <= Severity::Warning && f.message.contains("write action"))
        }
        // "*" as the resource of actions that could name resources.
        "CKV_AWS_355" => any(&|f| f.message.contains("applies to every resource (\"*\")")),
        // Credentials exposure, data exfiltration, privilege escalation: a security warning at least.
        _ => any(&|f| f.severity <= Severity::SecurityWarning),
    }
}

#[test]
fn checkov_agrees_with_the_findings_and_passes_the_new_setup_and_the_tightened_documents() {
    let guides = [Case { setup: "postman", tighten: false }, Case { setup: "segment-import", tighten: false }];
    let clean = [
        Case { setup: "end-user-messaging", tighten: false },
        Case { setup: "postman", tighten: true },
        Case { setup: "segment-import", tighten: true },
        Case { setup: "end-user-messaging", tighten: true },
    ];
    let dir = tempfile::tempdir().unwrap();
    for case in guides.iter().chain(&clean) {
        case.export(dir.path());
    }
    let started = std::time::Instant::now();
    let verdicts = scan(dir.path());
    eprintln!("checkov scanned {} exports in {:?}", guides.len() + clean.len(), started.elapsed());
    let policy_verdicts = |case: &Case| -> Vec<&Verdict> {
        verdicts.iter().filter(|v| v.case == case.name() && POLICY_CHECKS.contains(&v.check.as_str())).collect()
    };

    for case in &clean {
        let vs = policy_verdicts(case);
        let failed: Vec<&&Verdict> = vs.iter().filter(|v| !v.passed).collect();
        assert!(failed.is_empty(), "{}: {failed:#?}", case.name());
        // Not vacuous: every policy was judged by the write-access check of both formats.
        let d = case.params().desired().unwrap();
        for p in &d.policies {
            let judged: BTreeSet<&str> =
                vs.iter().filter(|v| v.name == p.name.as_str()).map(|v| v.check.as_str()).collect();
            assert!(
                judged.contains("CKV_AWS_111") && judged.contains("CKV_AWS_290"),
                "{}: {}: {judged:?}",
                case.name(),
                p.name
            );
        }
    }

    let mut matched = 0;
    for case in &guides {
        for v in policy_verdicts(case).into_iter().filter(|v| !v.passed) {
            let ours = case.findings(&v.name);
            assert!(
                answered(&v.check, &ours),
                "{}: checkov fails {} on {} ({}), and no finding of ours says so: {ours:#?}",
                case.name(),
                v.check,
                v.name,
                v.resource
            );
            matched += 1;
        }
    }
    // The guide's Postman policy fails five of them (CKV_AWS_109 and 111; 289, 290 and 355).
    assert!(matched >= 5, "{matched}");

    // The user's custody: checkov flags it, and our findings on the user's policy carry it as a suggestion.
    let custody: Vec<&Verdict> =
        verdicts.iter().filter(|v| USER_CHECKS.contains(&v.check.as_str()) && !v.passed).collect();
    assert!(!custody.is_empty(), "checkov flags the users");
    for v in custody {
        let case = guides.iter().chain(&clean).find(|c| c.name() == v.case).unwrap();
        let d = case.params().desired().unwrap();
        let ours: Vec<Finding> = d.documents().iter().flat_map(|view| of_document(&d, view)).collect();
        let tag = format!("(checkov {})", v.check);
        assert!(
            ours.iter().any(|f| f.severity == Severity::Suggestion && f.message.contains(&tag)),
            "{}: {} on {} is not among our suggestions",
            v.case,
            v.check,
            v.resource
        );
    }
}
