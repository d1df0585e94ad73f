//! Manual mode: the guides' console steps, in the guides' order, for someone who creates the resources by hand
//! (no permission to write, or by choice), and how far the account is along them, judged from the engine's
//! read-only plan. A resource made in the console carries no tag of ours, so here an untagged resource with the
//! guide's document counts as done: only what it holds matters.

use crate::plan::{Action, Plan, Prior, StepKind, Target, same_document};
use crate::setup::{BoundaryArn, Desired, IamPath, template};
use serde_json::Value;

/// What a manual step asks the person to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Makes {
    Policy(usize),
    /// A role (index into [`Desired::roles`]), with its policies attached.
    Role(usize),
    /// A user, with its policies attached.
    User(usize),
    AccessKey(usize),
}

/// One panel of manual mode.
#[derive(Debug, Clone, PartialEq)]
pub struct ManualStep {
    pub makes: Makes,
    /// One line, e.g. `Create policy ImporterS3Policy`.
    pub title: String,
    /// Where in the console: `IAM → Policies → Create policy → JSON`.
    pub path: String,
    /// The guide's instructions, one per line, in order.
    pub instructions: Vec<String>,
    /// The name to type.
    pub name: String,
    /// The document to paste, if the step has one, and what it is.
    pub document: Option<(String, Value)>,
}

/// The guides' steps for these resources: the Postman guide first (policy, user, access key), then the segment
/// import guide (each role after the policies it uses).
pub fn steps(d: &Desired) -> Vec<ManualStep> {
    let mut out = vec![];
    let mut made = vec![false; d.policies.len()];
    let mut policies_of = |names: &[crate::setup::IamName], out: &mut Vec<ManualStep>| {
        for n in names {
            if let Some(p) = d.policies.iter().position(|p| &p.name == n)
                && !made[p]
            {
                made[p] = true;
                out.push(policy_step(d, p));
            }
        }
    };
    for (u, user) in d.users.iter().enumerate() {
        policies_of(&user.policies, &mut out);
        out.push(user_step(d, u));
        if user.access_key {
            out.push(key_step(d, u));
        }
    }
    for (r, role) in d.roles.iter().enumerate() {
        policies_of(&role.policies, &mut out);
        out.push(role_step(d, r));
    }
    // A policy no role or user uses still gets its panel.
    for (p, _) in made.iter().enumerate().filter(|(_, m)| !**m) {
        out.push(policy_step(d, p));
    }
    out
}

fn policy_step(d: &Desired, p: usize) -> ManualStep {
    let spec = &d.policies[p];
    let name = spec.name.to_string();
    let mut instructions: Vec<String> = vec![
        "Open the IAM console: https://console.aws.amazon.com/iam/".into(),
        "In the navigation pane choose Policies, then Create policy.".into(),
        "In the policy editor select JSON and delete what is there, so it is blank.".into(),
        "Paste the document below (c copies it): your account id, Region, bucket and project are already in it.".into(),
    ];
    instructions.extend(end_of_support_notes(&spec.document));
    instructions.extend(["Choose Next.".into(), format!("For Policy name, type {name}. Choose Create policy.")]);
    instructions.extend(path_note("policy", &name, &spec.path, "create-policy --policy-name"));
    ManualStep {
        makes: Makes::Policy(p),
        title: format!("Create policy {name}"),
        path: "IAM → Policies → Create policy → JSON".into(),
        instructions,
        name,
        document: Some((format!("{} policy", spec.name), spec.document.clone())),
    }
}

/// What the document grants that ended with Pinpoint's end of support, one note per place, so the person
/// pasting it knows what each grant still does (the same findings as the preview's and `plan`'s).
fn end_of_support_notes(document: &Value) -> Vec<String> {
    let (Ok(cat), Ok(table)) = (crate::setup::catalogue::get(), crate::setup::end_of_support::get()) else {
        return vec![];
    };
    crate::setup::findings::pinpoint_grants(cat, table, document)
        .into_iter()
        .map(|g| format!("Note, Pinpoint's end of support, at {}: {}", g.place, g.finding(table).1))
        .collect()
}

/// The policies' choice, then the boundary's where the guardrails give one, then Next.
fn choose_then_next(choose: String, next: &str, kind: &str, boundary: Option<&BoundaryArn>) -> Vec<String> {
    match boundary_line(kind, boundary) {
        None => vec![format!("{choose}{next}")],
        Some(line) => vec![format!("{choose}."), line, "Choose Next.".into()],
    }
}

/// Where the console asks for a role's or user's permissions boundary (the guardrails' `--permissions-boundary`).
fn boundary_line(kind: &str, boundary: Option<&BoundaryArn>) -> Option<String> {
    let b = boundary?;
    let name = b.as_str().rsplit('/').next().unwrap_or_default();
    Some(format!(
        "Expand Set permissions boundary, choose Use a permissions boundary to control the maximum {kind} \
         permissions, and choose {name} ({b}): your organisation requires it."
    ))
}

/// The IAM console cannot put a policy, role or user under a path (the guardrails' `--path`): say how instead.
fn path_note(kind: &str, name: &str, path: &IamPath, call: &str) -> Option<String> {
    (!path.is_root()).then(|| {
        format!(
            "The IAM console cannot put a {kind} under the path {path}: make {name} with the AWS CLI instead \
             (aws iam {call} {name} --path {path} …, or pinpoint-iam-wizard export --as cli --path {path})."
        )
    })
}

fn attach_lines(names: &[crate::setup::IamName]) -> String {
    names.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" and ")
}

fn role_step(d: &Desired, r: usize) -> ManualStep {
    let role = &d.roles[r];
    let name = role.name.to_string();
    let policies = attach_lines(&role.policies);
    let lambda = std::ptr::eq(role.trust_template, &template::LAMBDA_TRUST);
    let mut instructions = vec![
        "In the navigation pane choose Roles, then Create role.".into(),
        "Under the service that will use this role, choose Lambda (the guide's choice), then Next.".into(),
    ];
    instructions.extend(choose_then_next(
        format!("Under permissions policies, choose {policies}"),
        ", then Next.",
        "role",
        role.boundary.as_ref(),
    ));
    instructions.push(format!("For Role name, type {name}. Choose Create role."));
    instructions.extend(path_note("role", &name, &role.path, "create-role --role-name"));
    let document = if lambda {
        instructions.push(
            "Choosing Lambda writes the trust policy below for you: nothing to paste (c copies it to compare).".into(),
        );
        Some((format!("{name} trust (set by choosing Lambda)"), role.trust.clone()))
    } else {
        instructions.extend([
            format!("In the list of roles, choose {name}."),
            "On the Trust relationships tab, choose Edit trust policy.".into(),
            "Remove the code in the policy editor and paste the trust policy below (c copies it).".into(),
            "Choose Update policy.".into(),
        ]);
        Some((format!("{name} trust (replaces Lambda's)"), role.trust.clone()))
    };
    let path = if lambda {
        "IAM → Roles → Create role → AWS service: Lambda".into()
    } else {
        format!("IAM → Roles → Create role → Lambda, then {name} → Trust relationships → Edit")
    };
    ManualStep { makes: Makes::Role(r), title: format!("Create role {name}"), path, instructions, name, document }
}

fn user_step(d: &Desired, u: usize) -> ManualStep {
    let user = &d.users[u];
    let name = user.name.to_string();
    ManualStep {
        makes: Makes::User(u),
        title: format!("Create user {name}"),
        path: "IAM → Users → Create user".into(),
        instructions: [
            "In the navigation pane choose Users, then Create user.".into(),
            format!("Under User details, for User name, type {name}. Choose Next."),
            "Under Permissions options, choose Attach policies directly.".into(),
        ]
        .into_iter()
        .chain(choose_then_next(
            format!("Under Permissions policies, choose {}", attach_lines(&user.policies)),
            ". Choose Next.",
            "user",
            user.boundary.as_ref(),
        ))
        .chain(["On the Review and create page, choose Create user.".into()])
        .chain(path_note("user", &name, &user.path, "create-user --user-name"))
        .collect(),
        name,
        document: None,
    }
}

fn key_step(d: &Desired, u: usize) -> ManualStep {
    let name = d.users[u].name.to_string();
    ManualStep {
        makes: Makes::AccessKey(u),
        title: format!("Create an access key for {name}"),
        path: format!("IAM → Users → {name} → Security credentials → Create access key"),
        instructions: vec![
            format!("In the navigation pane choose Users, choose {name}, then the Security credentials tab."),
            "In the Access keys section, choose Create access key.".into(),
            "On Access key best practices & alternatives, select Application running outside AWS: Postman runs \
             on your computer, outside AWS, and signs its requests with this long-term key. Choose Next."
                .into(),
            "(Optional) add a description tag. Choose Create access key.".into(),
            "On Retrieve access keys, copy the Access key and the Secret access key now: this is the only time \
             the secret is shown. Keep it somewhere safe (a password manager, an AWS CLI profile)."
                .into(),
            "Choose Done only after saving both.".into(),
        ],
        name,
        document: None,
    }
}

/// How far the account is along a manual step.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    Done,
    /// Not there yet: what is missing, one line each.
    NotYet(Vec<String>),
    /// There, but a document is not the guide's: what differs, and a line diff of each document.
    Differs(Vec<DocDiff>),
}

impl Progress {
    /// The word the screen shows.
    pub fn word(&self) -> &'static str {
        match self {
            Progress::Done => "done",
            Progress::NotYet(_) => "not yet",
            Progress::Differs(_) => "differs",
        }
    }
}

/// A document in the account that is not the guide's.
#[derive(Debug, Clone, PartialEq)]
pub struct DocDiff {
    pub what: String,
    pub lines: Vec<DiffLine>,
}

/// One line of a diff: `-` in the first document only (the account's), `+` in the second only (the guide's),
/// ` ` both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub sign: char,
    pub text: String,
}

/// A line diff of two documents as pretty JSON, `current` (the account's) against `wanted` (the guide's),
/// with two lines of context around each change; `…` marks skipped lines.
pub fn diff(current: &Value, wanted: &Value) -> Vec<DiffLine> {
    line_diff(current, wanted, Some(2))
}

/// The whole of `wanted` as pretty JSON, each line marked against `current` as in [`diff`] (the preview shows a
/// tightened document against the guide's this way).
pub fn diff_whole(current: &Value, wanted: &Value) -> Vec<DiffLine> {
    line_diff(current, wanted, None)
}

/// A line diff with `context` lines around each change, or everything.
fn line_diff(current: &Value, wanted: &Value, context: Option<usize>) -> Vec<DiffLine> {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    let (a, b) = (pretty(current), pretty(wanted));
    // As many lines of context as both documents have is all of them (similar doubles it: no usize::MAX).
    let context = context.unwrap_or(a.lines().count() + b.lines().count());
    let text = similar::TextDiff::from_lines(&a, &b);
    let mut out = vec![];
    for (i, group) in text.grouped_ops(context).iter().enumerate() {
        if i > 0 {
            out.push(DiffLine { sign: ' ', text: "…".into() });
        }
        for op in group {
            for change in text.iter_changes(op) {
                let sign = match change.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                out.push(DiffLine { sign, text: change.value().trim_end_matches('\n').to_string() });
            }
        }
    }
    out
}

/// Where each manual step stands in the account, from a plan made by reading it (Get*/List* calls only).
/// `inline` is each user's inline policies (by user name), as `destroy`'s pre-check reads them.
pub fn progress(steps: &[ManualStep], plan: &Plan, inline: &[(String, Vec<String>)]) -> Vec<Progress> {
    steps.iter().map(|s| step_progress(s, plan, inline)).collect()
}

fn step_progress(step: &ManualStep, plan: &Plan, inline: &[(String, Vec<String>)]) -> Progress {
    let d = &plan.desired;
    let find = |k: StepKind| plan.steps.iter().find(|s| s.kind == k);
    let mut missing = vec![];
    let mut diffs = vec![];
    match step.makes {
        Makes::Policy(p) => match find(StepKind::Policy(p)).map(|s| (&s.action, &s.prior)) {
            Some((_, Prior::Policy { state, .. })) => {
                if !same_document(&d.policies[p].document, &state.document) {
                    diffs.push(DocDiff {
                        what: format!("policy {}, default version {}", d.policies[p].name, state.default_version),
                        lines: diff(&state.document, &d.policies[p].document),
                    });
                }
            }
            _ => missing.push(format!("policy {} does not exist", d.policies[p].name)),
        },
        Makes::Role(r) => {
            let role = &d.roles[r];
            match find(StepKind::Role(r)).map(|s| &s.prior) {
                Some(Prior::Role(state)) => {
                    if !same_document(&role.trust, &state.trust) {
                        diffs.push(DocDiff {
                            what: format!("trust policy of role {}", role.name),
                            lines: diff(&state.trust, &role.trust),
                        });
                    }
                }
                _ => missing.push(format!("role {} does not exist", role.name)),
            }
            missing.extend(unattached(plan, Target::Role(r)));
        }
        Makes::User(u) => {
            let state = match find(StepKind::User(u)).map(|s| &s.prior) {
                Some(Prior::User(state)) => Some(state),
                _ => None,
            };
            if state.is_none() {
                missing.push(format!("user {} does not exist", d.users[u].name));
            }
            missing.extend(unattached(plan, Target::User(u)));
            missing.extend(state.into_iter().flat_map(|st| foreign_attachments(d, u, st)));
            let name = d.users[u].name.to_string();
            for (_, policies) in inline.iter().filter(|(user, _)| *user == name) {
                missing.extend(policies.iter().map(|p| {
                    format!("{name} has inline policy {p}: the guide grants through managed policies only; delete it")
                }));
            }
        }
        Makes::AccessKey(u) => {
            let state = match find(StepKind::User(u)).map(|s| &s.prior) {
                Some(Prior::User(state)) => Some(state),
                _ => None,
            };
            let keys = state.map(|s| s.access_keys.as_slice()).unwrap_or_default();
            if keys.is_empty() || find(StepKind::AccessKey(u)).map(|s| s.action) != Some(Action::Unchanged) {
                missing.push(format!("{} has no access key", d.users[u].name));
            }
            missing.extend(extra_keys(d.users[u].name.as_ref(), keys));
        }
    }
    if !diffs.is_empty() {
        Progress::Differs(diffs)
    } else if !missing.is_empty() {
        Progress::NotYet(missing)
    } else {
        Progress::Done
    }
}

/// Managed policies attached to user `u` that the guides do not attach (the same read as `destroy`'s pre-check).
fn foreign_attachments(d: &crate::setup::Desired, u: usize, state: &crate::aws::iam::UserState) -> Vec<String> {
    let user = &d.users[u];
    let ours: Vec<&str> =
        d.policies.iter().filter(|p| user.policies.contains(&p.name)).map(|p| p.arn.as_str()).collect();
    state
        .attached
        .iter()
        .filter(|arn| !ours.contains(&arn.as_str()))
        .map(|arn| format!("{} also has policy {arn} attached: the guide attaches only its own; detach it", user.name))
        .collect()
}

/// What is wrong with a user's keys for the guide's one active key: a second key, an inactive one.
fn extra_keys(user: &str, keys: &[crate::aws::iam::AccessKeyInfo]) -> Vec<String> {
    let mut out = vec![];
    if keys.len() > 1 {
        let ids: Vec<&str> = keys.iter().map(|k| k.id.as_str()).collect();
        out.push(format!(
            "{user} has {} access keys ({}): the guide makes one; delete the other",
            keys.len(),
            ids.join(", ")
        ));
    }
    for k in keys.iter().filter(|k| !k.active) {
        out.push(format!("{user}'s access key {} is inactive: activate it, or delete it and make a new one", k.id));
    }
    out
}

/// The console's edit path for a step whose resource exists but differs from the guide's: the same panel, with
/// the steps that change it instead of the ones that create it.
pub fn edit_step(step: &ManualStep) -> ManualStep {
    let name = step.name.clone();
    let (title, path, instructions): (String, String, Vec<String>) = match step.makes {
        Makes::Policy(_) => (
            format!("Edit policy {name}"),
            format!("IAM → Policies → {name} → Edit → JSON"),
            vec![
                "Open the IAM console: https://console.aws.amazon.com/iam/".into(),
                format!("In the navigation pane choose Policies, then choose {name}."),
                "Choose Edit, then JSON, and delete what is there, so it is blank.".into(),
                "Paste the document below (c copies it).".into(),
                "Choose Next, then Save changes: IAM keeps it as the new default version (a policy keeps at most                  five versions: if it has five, delete the oldest non-default one first, on the Policy versions tab)."
                    .into(),
            ],
        ),
        Makes::Role(_) => (
            format!("Edit role {name}"),
            format!("IAM → Roles → {name} → Trust relationships → Edit trust policy"),
            vec![
                format!("In the navigation pane choose Roles, then choose {name}."),
                "On the Trust relationships tab, choose Edit trust policy.".into(),
                "Remove the code in the policy editor and paste the trust policy below (c copies it).".into(),
                "Choose Update policy.".into(),
            ],
        ),
        Makes::User(_) | Makes::AccessKey(_) => return step.clone(),
    };
    ManualStep { title, path, instructions, ..step.clone() }
}

/// The policies not yet attached to `target`.
fn unattached(plan: &Plan, target: Target) -> Vec<String> {
    let d = &plan.desired;
    let to = match target {
        Target::Role(r) => d.roles[r].name.to_string(),
        Target::User(u) => d.users[u].name.to_string(),
    };
    plan.steps
        .iter()
        .filter_map(|s| match s.kind {
            StepKind::Attach { policy, target: t } if t == target && s.action != Action::Unchanged => {
                Some(format!("{} is not attached to {to}", d.policies[policy].name))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::iam::{AccessKeyInfo, PolicyState, UserState};
    use crate::plan::offline;
    use crate::setup::{Params, Selection};
    use serde_json::json;

    fn params(setup: Selection) -> Params {
        Params::example(setup)
    }

    #[test]
    fn steps_follow_the_guides_order() {
        let d = params(Selection::all()).desired().unwrap();
        let titles: Vec<String> = steps(&d).into_iter().map(|s| s.title).collect();
        assert_eq!(
            titles,
            [
                "Create policy PostmanAccessPolicy",
                "Create user PostmanUser",
                "Create an access key for PostmanUser",
                "Create policy ImporterS3Policy",
                "Create role ImporterS3Role",
                "Create policy ImporterS3PassthroughPolicy",
                "Create role PinpointSegmentImport",
                "Create policy ImporterPinpointPolicy",
                "Create role ImporterPinpointRole",
            ]
        );
    }

    #[test]
    fn the_console_steps_ask_for_the_boundary_and_say_the_path_needs_the_cli() {
        let mut p = params(Selection::all());
        let plain: Vec<String> = steps(&p.desired().unwrap()).into_iter().flat_map(|s| s.instructions).collect();
        assert!(!plain.iter().any(|l| l.contains("permissions boundary") || l.contains("path")), "{plain:?}");
        p.boundary = Some("arn:aws:iam::aws:policy/PowerUserAccess".parse().unwrap());
        p.path = "/teams/".parse().unwrap();
        for s in steps(&p.desired().unwrap()) {
            let text = s.instructions.join("\n");
            let asks = text.contains("choose PowerUserAccess (arn:aws:iam::aws:policy/PowerUserAccess)");
            match s.makes {
                Makes::Role(_) | Makes::User(_) => assert!(asks, "{}: {text}", s.title),
                _ => assert!(!asks, "{}: {text}", s.title),
            }
            if !matches!(s.makes, Makes::AccessKey(_)) {
                assert!(text.contains("cannot put") && text.contains("--path /teams/"), "{}: {text}", s.title);
            }
        }
    }

    #[test]
    fn the_pinpoint_role_is_made_as_lambda_then_its_trust_replaced() {
        let d = params("segment-import".parse().unwrap()).desired().unwrap();
        let s = steps(&d);
        let import = s.iter().find(|s| s.name == "PinpointSegmentImport").unwrap();
        let text = import.instructions.join("\n");
        assert!(text.contains("choose Lambda"), "{text}");
        assert!(text.contains("Edit trust policy"), "{text}");
        assert_eq!(import.document.as_ref().unwrap().1, d.roles[1].trust);
        let s3 = s.iter().find(|s| s.name == "ImporterS3Role").unwrap();
        assert!(!s3.instructions.join("\n").contains("Edit trust policy"));
        let pinpoint = s.iter().find(|s| s.name == "ImporterPinpointRole").unwrap();
        assert!(pinpoint.instructions.join("\n").contains("ImporterS3Policy and ImporterPinpointPolicy"));
    }

    #[test]
    fn the_key_step_explains_the_console_choice_and_the_one_time_secret() {
        let d = params("postman".parse().unwrap()).desired().unwrap();
        let key = steps(&d).into_iter().find(|s| s.makes == Makes::AccessKey(0)).unwrap();
        let text = key.instructions.join("\n");
        assert!(text.contains("Application running outside AWS"), "{text}");
        assert!(text.contains("only time"), "{text}");
    }

    /// A plan as read from an account where the policy exists untagged with `doc`, the user exists untagged
    /// with the policy attached and `keys` keys.
    fn read(doc: Value, attached: bool, keys: usize) -> (Vec<ManualStep>, Plan) {
        let p = params("postman".parse().unwrap());
        let mut plan = offline(&p).unwrap();
        plan.checked = true;
        let arn = plan.desired.policies[0].arn.clone();
        for s in &mut plan.steps {
            match s.kind {
                StepKind::Policy(_) => {
                    s.action = Action::Conflict;
                    s.prior = Prior::Policy {
                        state: PolicyState {
                            arn: arn.clone(),
                            default_version: "v1".into(),
                            document: doc.clone(),
                            managed_by_us: false,
                            owner: None,
                            run: None,
                            versions_written: vec![],
                            tag_keys: vec![],
                        },
                        versions: vec![],
                    };
                }
                StepKind::User(_) => {
                    s.action = Action::Conflict;
                    s.prior = Prior::User(UserState {
                        arn: "u".into(),
                        managed_by_us: false,
                        owner: None,
                        run: None,
                        attached: vec![],
                        access_keys: (0..keys)
                            .map(|i| AccessKeyInfo { id: format!("AKIA{i}"), active: true })
                            .collect(),
                        permissions_boundary: None,
                        path: "/".into(),
                        our_keys: vec![],
                        tag_keys: vec![],
                    });
                }
                StepKind::Attach { .. } => s.action = if attached { Action::Unchanged } else { Action::Create },
                StepKind::AccessKey(_) => s.action = if keys > 0 { Action::Unchanged } else { Action::Create },
                StepKind::Role(_) | StepKind::OldKey { .. } => {}
            }
        }
        (steps(&plan.desired), plan)
    }

    #[test]
    fn an_untagged_resource_with_the_guides_document_is_done() {
        let doc = params("postman".parse().unwrap()).desired().unwrap().policies[0].document.clone();
        let (s, plan) = read(doc, true, 1);
        assert_eq!(progress(&s, &plan, &[]), vec![Progress::Done, Progress::Done, Progress::Done]);
    }

    #[test]
    fn what_is_missing_is_named() {
        let doc = params("postman".parse().unwrap()).desired().unwrap().policies[0].document.clone();
        let (s, plan) = read(doc, false, 0);
        let got = progress(&s, &plan, &[]);
        assert_eq!(got[0], Progress::Done);
        assert_eq!(got[1], Progress::NotYet(vec!["PostmanAccessPolicy is not attached to PostmanUser".into()]));
        assert_eq!(got[2], Progress::NotYet(vec!["PostmanUser has no access key".into()]));
        let fresh = offline(&params("postman".parse().unwrap())).unwrap();
        assert!(progress(&s, &fresh, &[]).iter().all(|p| matches!(p, Progress::NotYet(_))));
    }

    #[test]
    fn a_user_with_a_foreign_policy_or_a_second_or_inactive_key_is_not_done() {
        let doc = params("postman".parse().unwrap()).desired().unwrap().policies[0].document.clone();
        let (s, mut plan) = read(doc, true, 2);
        for st in &mut plan.steps {
            if let Prior::User(u) = &mut st.prior {
                u.attached.push("arn:aws:iam::aws:policy/AdministratorAccess".into());
                u.access_keys[1].active = false;
            }
        }
        let got = progress(&s, &plan, &[]);
        let Progress::NotYet(user) = &got[1] else { panic!("{:?}", got[1]) };
        assert!(user[0].contains("AdministratorAccess attached"), "{user:?}");
        let Progress::NotYet(key) = &got[2] else { panic!("{:?}", got[2]) };
        assert!(key[0].contains("has 2 access keys (AKIA0, AKIA1)"), "{key:?}");
        assert!(key[1].contains("AKIA1 is inactive"), "{key:?}");
    }

    #[test]
    fn a_step_that_differs_is_edited_in_the_console() {
        let d = params(Selection::all()).desired().unwrap();
        for step in steps(&d) {
            let edit = edit_step(&step);
            match step.makes {
                Makes::Policy(_) => {
                    assert!(edit.title.starts_with("Edit policy") && edit.path.ends_with("Edit → JSON"));
                    assert!(!edit.instructions.join("\n").contains("Create policy"), "{edit:?}");
                }
                Makes::Role(_) => assert!(edit.path.ends_with("Edit trust policy"), "{edit:?}"),
                _ => assert_eq!(edit, step),
            }
            assert_eq!(edit.document, step.document, "the same document to paste");
        }
    }

    #[test]
    fn a_changed_document_differs_with_a_line_diff() {
        let mut doc = params("postman".parse().unwrap()).desired().unwrap().policies[0].document.clone();
        doc["Statement"][0]["Action"][0] = json!("mobiletargeting:Delete*");
        let (s, plan) = read(doc, true, 1);
        let Progress::Differs(diffs) = &progress(&s, &plan, &[])[0] else { panic!("not differs") };
        let lines = &diffs[0].lines;
        assert!(lines.contains(&DiffLine { sign: '-', text: "        \"mobiletargeting:Delete*\",".into() }));
        assert!(lines.contains(&DiffLine { sign: '+', text: "        \"mobiletargeting:Update*\",".into() }));
        assert_eq!(lines.iter().filter(|l| l.sign != ' ').count(), 2, "{lines:?}");
        assert!(lines.len() <= 7, "only the change and its context: {lines:?}");
    }

    #[test]
    fn a_whole_diff_keeps_every_line() {
        let guide =
            json!({"Version": "2012-10-17", "Statement": [{"Action": "s3:*", "Resource": "*", "Effect": "Allow"}]});
        let tight = json!({"Version": "2012-10-17", "Statement": [{"Action": "s3:GetObject", "Resource": "*", "Effect": "Allow"}]});
        let lines = diff_whole(&guide, &tight);
        let kept: Vec<&str> = lines.iter().filter(|l| l.sign != '-').map(|l| l.text.as_str()).collect();
        assert_eq!(kept.join("\n"), serde_json::to_string_pretty(&tight).unwrap());
        assert_eq!(lines.iter().filter(|l| l.sign == '-').count(), 1);
        assert!(!lines.iter().any(|l| l.text == "…"));
    }
}
