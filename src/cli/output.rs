//! What the headless commands print: one typed schema per `--format json`, the text tables, and delivery of
//! standard output that reports a failure instead of panicking (a full disk, a closed pipe).

use crate::aws::analyzer::Analysis;
use crate::engine::{ApplyReport, Status};
use crate::plan::{Action, Mode, Plan, Prior, StepKind};
use crate::secret::{NewAccessKey, Secret};
use crate::setup::findings::{self, Finding};
use serde::Serialize;
use std::io::Write;
use zeroize::Zeroizing;

/// Whether a command's JSON reached standard output (so an error after it is not printed as JSON again).
static JSON_PRINTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn json_printed() -> bool {
    JSON_PRINTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// Write everything at once and flush: the caller learns whether it arrived.
pub fn deliver(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

/// Serialize and deliver a JSON document; the buffer is wiped afterwards (it may hold a secret).
pub fn deliver_json(value: &impl Serialize) -> std::io::Result<()> {
    // Sized by a first pass that only counts, so the buffer never reallocates (a grown buffer leaves the
    // old block's bytes, the secret among them, to the allocator unwiped).
    let mut size = ByteCount(0);
    serde_json::to_writer_pretty(&mut size, value).map_err(std::io::Error::other)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(size.0 + 1));
    serde_json::to_writer_pretty(&mut *buf, value).map_err(std::io::Error::other)?;
    buf.push(b'\n');
    deliver(&buf)?;
    JSON_PRINTED.store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

/// A writer that keeps nothing and counts what it is given.
struct ByteCount(usize);

impl Write for ByteCount {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The JSON printed for a command that failed before it had anything else to say.
#[derive(Serialize)]
pub struct ErrorOut<'a> {
    pub error: &'a str,
    pub exit_code: u8,
}

/// A step of `plan --format json`.
#[derive(Serialize)]
pub struct StepOut {
    pub kind: &'static str,
    pub name: String,
    pub arn: String,
    pub action: &'static str,
    pub reason: String,
    /// The IAM actions applying the step sends.
    pub calls: Vec<&'static str>,
    /// The policy version the update deletes first (IAM keeps five), with its date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletes_version: Option<VersionOut>,
}

#[derive(Serialize)]
pub struct VersionOut {
    pub version_id: String,
    pub created: String,
}

/// A rendered document of `plan --format json`.
#[derive(Serialize)]
pub struct DocumentOut<'a> {
    pub kind: &'static str,
    pub name: &'a str,
    pub arn: &'a str,
    pub document: &'a serde_json::Value,
    /// This tool's findings, then IAM Access Analyzer's, each most serious first.
    pub findings: Vec<Finding>,
}

/// Whether IAM Access Analyzer's findings are among the documents' findings, and if not, why.
#[derive(Serialize)]
pub struct AnalyzerOut {
    pub consulted: bool,
    pub note: Option<String>,
}

#[derive(Serialize)]
pub struct PlanOut<'a> {
    /// `apply`, or `destroy` for `plan --destroy`.
    pub mode: &'static str,
    pub account_id: &'a str,
    pub region: &'a str,
    pub setup: &'a str,
    /// Whether the documents are the tightened ones (`--tighten`) rather than the guides'.
    pub tightened: bool,
    /// The path of every policy, role and user (`--path`; `/` by default).
    pub path: &'a str,
    /// The permissions boundary of every role and user (`--permissions-boundary`), if any.
    pub permissions_boundary: Option<&'a str>,
    pub checked: bool,
    pub note: Option<&'a str>,
    /// What of the chosen setups ended with Pinpoint's end of support, one line per setup (the registry's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub end_of_support: Vec<&'static str>,
    pub steps: Vec<StepOut>,
    /// Destroy: what keeps it from deleting anything.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub blockers: &'a [String],
    /// The documents apply writes (none for destroy, which writes none).
    pub documents: Vec<DocumentOut<'a>>,
    pub access_analyzer: AnalyzerOut,
    pub error: Option<String>,
}

/// Every document's findings, in the order of `Desired::documents`: this tool's, then Access Analyzer's.
pub fn document_findings(plan: &Plan, analysis: &Analysis) -> Vec<Vec<Finding>> {
    let d = &plan.desired;
    d.documents()
        .iter()
        .enumerate()
        .map(|(i, view)| {
            let mut all = findings::of_document(d, view);
            all.extend(analysis.findings(i).iter().cloned());
            all
        })
        .collect()
}

impl<'a> PlanOut<'a> {
    pub fn new(plan: &'a Plan, note: Option<&'a str>, analysis: &Analysis) -> Self {
        let steps = (0..plan.steps.len())
            .map(|i| {
                let l = plan.label(i);
                StepOut {
                    kind: l.kind,
                    name: l.name,
                    arn: l.arn,
                    action: plan.steps[i].action.as_str(),
                    reason: plan.steps[i].reason.clone(),
                    calls: plan.calls(i),
                    deletes_version: plan
                        .pruned(i)
                        .map(|v| VersionOut { version_id: v.id.clone(), created: v.created_at.clone() }),
                }
            })
            .collect();
        let d = &plan.desired;
        let destroy = plan.mode == Mode::Destroy;
        // The same order as `Desired::documents`: policies, then trust policies.
        let documents = if destroy {
            vec![]
        } else {
            d.policies
                .iter()
                .map(|p| ("policy", p.name.as_str(), &p.arn, &p.document))
                .chain(d.roles.iter().map(|r| ("trust_policy", r.name.as_str(), &r.arn, &r.trust)))
                .zip(document_findings(plan, analysis))
                .map(|((kind, name, arn, document), findings)| DocumentOut { kind, name, arn, document, findings })
                .collect()
        };
        PlanOut {
            mode: plan.mode.as_str(),
            account_id: plan.params.account.as_str(),
            region: plan.params.region.as_str(),
            setup: plan.params.setup.as_str(),
            tightened: plan.params.tighten,
            path: plan.params.path.as_str(),
            permissions_boundary: plan.params.boundary.as_ref().map(|b| b.as_str()),
            checked: plan.checked,
            note,
            end_of_support: plan.params.setup.setups().filter_map(|s| s.end_of_support).collect(),
            steps,
            blockers: &plan.blockers,
            documents,
            access_analyzer: AnalyzerOut {
                consulted: matches!(analysis, Analysis::Consulted(_)),
                note: analysis.note(),
            },
            error: None,
        }
    }
}

/// A resource and what is true of it after a run.
#[derive(Serialize)]
pub struct ResourceOut {
    pub kind: &'static str,
    pub name: String,
    pub arn: String,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A key as the JSON output shows it: the secret serialized straight from its one copy.
#[derive(Serialize)]
pub struct KeyOut<'a> {
    pub user_name: &'a str,
    pub access_key_id: &'a str,
    /// `null` when the secret was saved and not asked for on standard output (`--show-secret`).
    #[serde(serialize_with = "crate::secret::exposed")]
    pub secret_access_key: Option<&'a Secret>,
}

impl<'a> KeyOut<'a> {
    /// The key, with its secret only when `with_secret`.
    pub fn new(k: &'a NewAccessKey, with_secret: bool) -> Self {
        KeyOut {
            user_name: &k.user_name,
            access_key_id: &k.access_key_id,
            secret_access_key: with_secret.then_some(&k.secret_access_key),
        }
    }
}

#[derive(Serialize)]
pub struct ApplyOut<'a> {
    pub account_id: &'a str,
    pub region: &'a str,
    pub setup: &'a str,
    pub run_id: &'a str,
    pub resources: Vec<ResourceOut>,
    pub access_key: Option<KeyOut<'a>>,
    pub note: Option<String>,
    pub saved: Vec<String>,
    pub error: Option<String>,
    pub calls: usize,
}

pub fn resources(plan: &Plan, statuses: &[Status]) -> Vec<ResourceOut> {
    (0..plan.steps.len())
        .map(|i| {
            let l = plan.label(i);
            ResourceOut { kind: l.kind, name: l.name, arn: l.arn, status: statuses[i].as_str(), note: None }
        })
        .collect()
}

#[derive(Serialize)]
pub struct DestroyOut<'a> {
    pub account_id: &'a str,
    pub region: &'a str,
    pub setup: &'a str,
    pub resources: Vec<ResourceOut>,
    /// What kept destroy from deleting anything.
    pub blockers: &'a [String],
    pub error: Option<String>,
}

/// Each step of a destroy and what is true of it now, with why where it was not deleted (or, for keys,
/// which were).
pub fn destroyed(plan: &Plan, report: &ApplyReport) -> Vec<ResourceOut> {
    (0..plan.steps.len())
        .map(|i| {
            let (l, step, status) = (plan.label(i), &plan.steps[i], report.statuses[i]);
            let note = match (&report.failure, status) {
                (Some((f, e)), Status::Failed) if *f == i => Some(e.to_string()),
                (_, Status::Skipped) => Some("not deleted: destroy stopped before it".into()),
                _ if step.action == Action::Keep => Some(step.reason.clone()),
                _ => match &step.prior {
                    Prior::User(u) if matches!(step.kind, StepKind::AccessKey(_)) => {
                        let ids: Vec<&str> = u.access_keys.iter().map(|k| k.id.as_str()).collect();
                        Some(format!("access key {}", ids.join(", ")))
                    }
                    _ => None,
                },
            };
            ResourceOut { kind: l.kind, name: l.name, arn: l.arn, status: status.as_str(), note }
        })
        .collect()
}

#[derive(Serialize)]
pub struct OldKeyOut {
    pub access_key_id: String,
    pub active: bool,
}

/// `--format json` of rotate-key and retire-key: apply's shape (the account, the run id, every step with its
/// status as read back, the error) and what a key command adds.
#[derive(Serialize)]
pub struct KeysOut<'a> {
    pub account_id: &'a str,
    pub region: &'a str,
    pub user_name: &'a str,
    pub run_id: &'a str,
    pub resources: Vec<ResourceOut>,
    /// rotate-key: the new key; `null` when the rotation did not complete (it was deleted), and for retire-key.
    pub access_key: Option<KeyOut<'a>>,
    /// The key deleted (verified): rotate-key's `--delete-key`, retire-key's `--delete`.
    pub deleted: Option<String>,
    /// What `--adopt` took over (tagged as ours).
    pub adopted: Vec<String>,
    pub deactivated: Vec<String>,
    /// rotate-key: the keys the user still has besides the new one.
    pub old_keys: Vec<OldKeyOut>,
    pub saved: Vec<String>,
    pub error: Option<String>,
    pub calls: usize,
}

/// A text table: columns padded to their widest cell, the last one left as it is.
pub fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == N {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
    out
}

/// The plan as text.
/// The plan as text; with `analysis` (plan, not apply), each document's findings counted and whether IAM
/// Access Analyzer was consulted.
pub fn plan_text(plan: &Plan, note: Option<&str>, analysis: Option<&Analysis>) -> String {
    let p = &plan.params;
    if plan.mode == Mode::Destroy {
        return destroy_plan_text(plan);
    }
    let tightened = if p.tighten { ", tightened documents" } else { "" };
    let mut out = format!("Plan for setup {} in account {}, Region {}{tightened}\n", p.setup, p.account, p.region);
    if let Some(guardrails) = p.guardrails() {
        out.push_str(&format!("{guardrails}\n"));
    }
    if let Some(note) = note {
        out.push_str(&format!("Note: {note}\n"));
    }
    for line in plan.params.setup.setups().filter_map(|s| s.end_of_support) {
        out.push_str(&format!("End of support: {line}\n"));
    }
    out.push_str(&table(&["KIND", "NAME", "ACTION", "REASON"], &plan_rows(plan)));
    let count = |a: crate::plan::Action| plan.steps.iter().filter(|s| s.action == a).count();
    out.push_str(&format!(
        "{} to create, {} to update, {} unchanged, {} conflict(s){}\n",
        count(crate::plan::Action::Create),
        count(crate::plan::Action::Update),
        count(crate::plan::Action::Unchanged),
        count(crate::plan::Action::Conflict),
        if plan.checked { "" } else { " (account not read: every step not checked)" }
    ));
    if count(crate::plan::Action::Conflict) > 0 {
        out.push_str("Conflicts are resources this tool did not create: apply refuses them unless --adopt.\n");
    }
    if let Some(serious) = findings::serious(&plan.desired) {
        let fix = if plan.params.tighten {
            "they are the tightened ones: see each place with --format json"
        } else {
            "--tighten writes documents that fix them (the default stays the guides' exactly)"
        };
        out.push_str(&format!("Note: {serious}; {fix}.\n"));
    }
    if let Some(analysis) = analysis {
        out.push_str("Findings on the documents (--format json lists each with its place):\n");
        let titles = plan.desired.documents().into_iter().map(|v| v.title);
        for (title, found) in titles.zip(document_findings(plan, analysis)) {
            out.push_str(&format!("  {title}: {}\n", findings::tally(&found)));
        }
        out.push_str(&ended_grants_text(plan));
        if let Some(line) = analysis.note() {
            out.push_str(&format!("{line}\n"));
        }
    }
    out
}

/// Where the documents grant `mobiletargeting` actions that ended with Pinpoint's end of support, one line per
/// document (none when nothing ended or the tables cannot be read).
fn ended_grants_text(plan: &Plan) -> String {
    let (Ok(cat), Ok(table)) = (crate::setup::catalogue::get(), crate::setup::end_of_support::get()) else {
        return String::new();
    };
    let mut out = String::new();
    for view in plan.desired.documents().into_iter().filter(|v| v.template.kind == crate::setup::DocKind::Policy) {
        let places: Vec<String> = findings::pinpoint_grants(cat, table, view.document)
            .into_iter()
            .filter(|g| g.grants_ended())
            .map(|g| format!("{} ({})", g.place, g.action))
            .collect();
        if !places.is_empty() {
            out.push_str(&format!("  {}: {}\n", view.title, places.join(", ")));
        }
    }
    if out.is_empty() {
        return out;
    }
    format!("Grants of actions that ended with Pinpoint's end of support ({}):\n{out}", table.end_of_support)
}

fn plan_rows(plan: &Plan) -> Vec<[String; 4]> {
    (0..plan.steps.len())
        .map(|i| {
            let l = plan.label(i);
            [l.kind.to_string(), l.name, plan.steps[i].action.to_string(), plan.steps[i].reason.clone()]
        })
        .collect()
}

/// What `destroy` would do (`plan --destroy`, and destroy's own confirmation).
fn destroy_plan_text(plan: &Plan) -> String {
    let p = &plan.params;
    let mut out = format!("Destroy plan for setup {} in account {}, Region {}\n", p.setup, p.account, p.region);
    out.push_str(&table(&["KIND", "NAME", "ACTION", "REASON"], &plan_rows(plan)));
    let count = |a: Action| plan.steps.iter().filter(|s| s.action == a).count();
    out.push_str(&format!(
        "{} to delete, {} absent, {} not this tool's (left alone)\n",
        count(Action::Delete),
        count(Action::Absent),
        count(Action::Keep)
    ));
    if !plan.blockers.is_empty() {
        out.push_str("Destroy deletes nothing while these remain (they are not this tool's to remove):\n");
        for b in &plan.blockers {
            out.push_str(&format!("  - {b}\n"));
        }
    }
    out
}

/// The one-time secret as text.
pub fn key_text(k: &NewAccessKey, with_secret: bool) -> Zeroizing<String> {
    if !with_secret {
        return Zeroizing::new(format!(
            "\nAccess key for {}: {}\nIts secret was saved (below) and is not printed; --show-secret prints it.\n",
            k.user_name, k.access_key_id
        ));
    }
    let secret = k.secret_access_key.expose();
    crate::secret::joined(&[
        "\nAccess key for ",
        &k.user_name,
        ": ",
        &k.access_key_id,
        "\nSecret access key: ",
        secret,
        "\nThis is the only time the secret is shown. Store it now (e.g. in a password manager).\n",
    ])
}
