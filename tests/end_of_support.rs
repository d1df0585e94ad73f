//! Amazon Pinpoint's end of support, per action: the table covers the catalogue, and its findings reach every
//! place findings appear: `plan` (the real binary, offline: the documents need no account), the exports'
//! comments and the documents' README (rendered as `export` renders them), and manual mode's panels. The
//! preview's marks are checked by the TUI snapshots in tests/tui.rs.

mod support;

use pinpoint_iam_wizard::export::{self, ExportFormat, Origin};
use pinpoint_iam_wizard::setup::catalogue;
use pinpoint_iam_wizard::setup::end_of_support::{self, Fate};
use pinpoint_iam_wizard::setup::{Params, Selection};
use serde_json::Value;
use support::*;

const ACCOUNT: &str = "210987654321";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn the_table_covers_every_mobiletargeting_action_of_the_catalogue_and_cites_a_page_for_each() {
    let cat = catalogue::get().unwrap();
    let table = end_of_support::get().unwrap();
    let (_, all) = cat.expand("mobiletargeting:*").expect("the catalogue has mobiletargeting");
    let missing: Vec<&str> = all.iter().map(|(n, _)| *n).filter(|n| table.row(n).is_none()).collect();
    assert!(missing.is_empty(), "unclassified: {missing:?}; run scripts/refresh-end-of-support");
    let stale: Vec<&str> =
        table.actions.iter().map(|r| r.action.as_str()).filter(|a| !all.iter().any(|(n, _)| n == a)).collect();
    assert!(stale.is_empty(), "not in the catalogue: {stale:?}");
    for r in &table.actions {
        let cited = table.sources.iter().find(|s| s.url == r.source);
        assert!(cited.is_some_and(|s| !s.says.is_empty()), "{}: {} is not a listed source", r.action, r.source);
        if r.fate == Fate::Continues {
            assert!(r.successor.is_none(), "{} continues: no successor", r.action);
        }
    }
    // The examples, each on its side.
    for (action, fate) in [
        ("CreateImportJob", Fate::Ended),
        ("SendUsersMessages", Fate::Ended),
        ("UpdateEndpoint", Fate::Ended),
        ("PutEvents", Fate::Ended),
        ("UpdateEmailChannel", Fate::Ended),
        ("CreateSmsTemplate", Fate::Ended),
        ("SendMessages", Fate::Continues),
        ("SendOTPMessage", Fate::Continues),
        ("VerifyOTPMessage", Fate::Continues),
        ("PhoneNumberValidate", Fate::Continues),
        ("UpdateApnsChannel", Fate::Continues),
        ("TagResource", Fate::Continues),
    ] {
        assert_eq!(table.row(action).map(|r| r.fate), Some(fate), "{action}");
    }
    // The README's note gives the table's counts.
    let count = |f: Fate| table.actions.iter().filter(|r| r.fate == f).count();
    let counts =
        format!("{} ended, {} continue, {} unclear", count(Fate::Ended), count(Fate::Continues), count(Fate::Unclear));
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains(&counts), "README.md should say {counts:?}");
}

fn plan(setup: &str, format: &str) -> std::process::Output {
    let mut args = vec!["plan", "--setup", setup, "--account-id", ACCOUNT, "--region", REGION, "--format", format];
    if setup != "postman" {
        args.extend(["--bucket", "pinpoint-imports", "--project-id", PROJECT]);
    }
    let o = run_with_env(&args, &base_env());
    assert_eq!(o.status.code(), Some(0), "stdout: {}\nstderr: {}", stdout(&o), stderr(&o));
    o
}

/// The findings of one document of a JSON plan, as (path, severity, message).
fn findings_of(plan: &Value, name: &str) -> Vec<(String, String, String)> {
    let doc = plan["documents"].as_array().unwrap().iter().find(|d| d["name"] == name).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (s("path"), s("severity"), s("message"))
        })
        .collect()
}

#[test]
fn plan_json_marks_create_import_job_ended_and_phone_number_validate_not_and_says_so_for_the_setup() {
    let out = json(&plan("segment-import", "json"));
    let found = findings_of(&out, "ImporterPinpointPolicy");
    let at = |path: &str| -> Vec<&(String, String, String)> {
        found.iter().filter(|(p, _, m)| p == path && m.contains("end of support")).collect()
    };
    let create = at("Statement[0].Action[0]");
    assert_eq!(create.len(), 1, "{found:#?}");
    assert_eq!(create[0].1, "warning");
    assert!(
        create[0].2.starts_with(
            "VisualEditor0: mobiletargeting:CreateImportJob ended with Pinpoint's end of support on 2026-10-30; \
             AWS's successor: Amazon Connect Customer Profiles"
        ),
        "{}",
        create[0].2
    );
    assert_eq!(at("Statement[0].Action[1]").len(), 1, "GetImportJobs ended too: {found:#?}");
    assert!(found.iter().all(|(p, _, _)| !p.starts_with("Statement[1]")), "PhoneNumberValidate continues: {found:#?}");
    let said = out["end_of_support"].as_array().unwrap();
    assert_eq!(said.len(), 1, "{said:?}");
    let line = said[0].as_str().unwrap();
    assert!(
        line.contains("import jobs") && line.contains("2026-10-30") && line.contains("Customer Profiles"),
        "{line}"
    );
}

#[test]
fn plan_text_says_it_for_the_setup_and_lists_where_ended_actions_are_granted() {
    let text = stdout(&plan("segment-import", "text"));
    assert!(
        text.contains("End of support: Segment import: the import jobs these roles exist for ended with Pinpoint's end of support on 2026-10-30; AWS points to Amazon Connect Customer Profiles"),
        "{text}"
    );
    assert!(
        text.contains("  ImporterPinpointPolicy: Statement[0].Action[0] (mobiletargeting:CreateImportJob), Statement[0].Action[1] (mobiletargeting:GetImportJobs)\n"),
        "{text}"
    );
    assert!(!text.contains("PhoneNumberValidate"), "{text}");
}

#[test]
fn the_postman_policys_wildcards_are_each_explained() {
    let out = json(&plan("postman", "json"));
    let found = findings_of(&out, "PostmanAccessPolicy");
    let wildcards = ["Update*", "Get*", "Send*", "Put*", "Create*"];
    for (i, w) in wildcards.iter().enumerate() {
        let path = format!("Statement[0].Action[{i}]");
        let ours: Vec<&String> =
            found.iter().filter(|(p, _, m)| *p == path && m.contains("end of support")).map(|(_, _, m)| m).collect();
        assert_eq!(ours.len(), 1, "{w}: {found:#?}");
        assert!(ours[0].contains(&format!("mobiletargeting:{w}")), "{}", ours[0]);
    }
    let send = found.iter().find(|(p, _, m)| p == "Statement[0].Action[2]" && m.contains("end of support")).unwrap();
    assert!(
        send.2.contains("(SendUsersMessages); these continue as AWS End User Messaging: SendMessages, SendOTPMessage"),
        "{}",
        send.2
    );
    let put = found.iter().find(|(p, _, m)| p == "Statement[0].Action[3]" && m.contains("end of support")).unwrap();
    assert!(put.2.contains("grants only actions that ended") && put.2.contains("Amazon Kinesis"), "{}", put.2);
    // The second statement's names are judged one by one: only continuing ones there, so nothing.
    assert!(
        found.iter().all(|(p, _, m)| !(p.starts_with("Statement[1]") && m.contains("end of support"))),
        "{found:#?}"
    );
}

fn params(setup: &str) -> Params {
    let mut p = Params::new(setup.parse::<Selection>().unwrap(), ACCOUNT.parse().unwrap(), REGION.parse().unwrap());
    p.bucket = Some("pinpoint-imports".parse().unwrap());
    p.project = Some(PROJECT.parse().unwrap());
    p
}

fn origin() -> Origin {
    Origin { version: "test".into(), date: "2026-12-06".into() }
}

#[test]
fn every_export_carries_the_ended_grants_as_comments_and_the_documents_readme_as_a_section() {
    let p = params("segment-import");
    for format in [ExportFormat::CloudFormation, ExportFormat::Terraform, ExportFormat::Cli, ExportFormat::Documents] {
        let files = export::render(&p, format, &origin()).unwrap();
        let main = match format {
            ExportFormat::CloudFormation => &files[0],
            ExportFormat::Terraform => files.iter().find(|f| f.path.ends_with(".tf")).unwrap(),
            ExportFormat::Cli => files.iter().find(|f| f.path == "setup.sh").unwrap(),
            ExportFormat::Documents => files.iter().find(|f| f.path == "README.md").unwrap(),
        };
        let (mark, heading) = match format {
            ExportFormat::Documents => ("- ", "## Amazon Pinpoint's end of support (2026-10-30)"),
            _ => ("#   ", "# Amazon Pinpoint's end of support (2026-10-30), per action"),
        };
        let c = &main.contents;
        assert!(c.contains(heading), "{}: {c}", format.as_str());
        assert!(c.contains(&format!("{mark}Segment import: the import jobs these roles exist for ended")), "{c}");
        assert!(
            c.contains(&format!(
                "{mark}ImporterPinpointPolicy at Statement[0].Action[0] (warning): VisualEditor0: mobiletargeting:CreateImportJob ended"
            )),
            "{}: {c}",
            format.as_str()
        );
        assert!(!c.contains("ImporterPinpointPolicy at Statement[1]"), "PhoneNumberValidate continues: {c}");
    }
}

#[test]
fn manual_mode_notes_each_ended_grant_on_the_policys_panel() {
    let d = params("segment-import").desired().unwrap();
    let steps = pinpoint_iam_wizard::manual::steps(&d);
    let panel = steps.iter().find(|s| s.name == "ImporterPinpointPolicy").unwrap();
    let notes: Vec<&String> = panel.instructions.iter().filter(|l| l.contains("end of support")).collect();
    assert_eq!(notes.len(), 2, "{:#?}", panel.instructions);
    assert!(notes[0].starts_with("Note, Pinpoint's end of support, at Statement[0].Action[0]: VisualEditor0: mobiletargeting:CreateImportJob ended"), "{}", notes[0]);
    let s3 = steps.iter().find(|s| s.name == "ImporterS3Policy").unwrap();
    assert!(s3.instructions.iter().all(|l| !l.contains("end of support")), "{:#?}", s3.instructions);
}
