//! What a setup is, as data: the values it needs, the names it gives, its documents, roles and users, and the
//! wizard's words for it. [`SETUPS`] lists them; everything else (the `--setup` choices, the wizard's screens,
//! the documents, the plan's steps, the exports, destroy) is derived from it.

use super::template::Template;
use super::values::{IamKind, InvalidValue};
use super::{Names, end_user_messaging, postman, segment_import};
use std::fmt;
use std::str::FromStr;

/// Every setup, in the order the wizard offers them and carries them out.
pub static SETUPS: &[&SetupDef] = &[&postman::SETUP, &segment_import::SETUP, &end_user_messaging::SETUP];

/// AWS's two guides: what `--setup all` carries out.
static GUIDES: &[&SetupDef] = &[&postman::SETUP, &segment_import::SETUP];

/// The guides and the setup for the messaging APIs that continue: `--setup all+end-user-messaging`.
static GUIDES_AND_MESSAGING: &[&SetupDef] = &[&postman::SETUP, &segment_import::SETUP, &end_user_messaging::SETUP];

/// A value beyond the account and Region that a setup's documents need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// The S3 bucket (`{{bucket}}` in the documents).
    Bucket,
    /// The Pinpoint project id (`{{project_id}}`).
    Project,
}

impl Param {
    /// The command-line option that gives it.
    pub fn flag(self) -> &'static str {
        match self {
            Param::Bucket => "--bucket",
            Param::Project => "--project-id",
        }
    }

    /// What it is, as an error about its absence says it.
    pub fn what(self) -> &'static str {
        match self {
            Param::Bucket => "the S3 bucket that holds the segment files",
            Param::Project => {
                "the Pinpoint project id (segments are imported into it; push and OTP are sent through it)"
            }
        }
    }
}

/// One overridable name: its option, its label in the wizard, what it names and the guide's name.
#[derive(Debug, PartialEq, Eq)]
pub struct NameField {
    /// `--NAME-name`; `--name NAME-name=VALUE` sets it headless.
    pub flag: &'static str,
    pub label: &'static str,
    pub kind: IamKind,
    pub default: &'static str,
}

impl NameField {
    /// The option as `--name` takes it: the flag without its dashes.
    pub fn option(&self) -> &'static str {
        self.flag.trim_start_matches("--")
    }

    /// The placeholder under which templates get this name: `--import-role-name` is `{{import_role_name}}`.
    pub fn var(&self) -> String {
        self.option().replace('-', "_")
    }
}

/// A managed policy: the guide's document and the tightened one (`--tighten`).
#[derive(Debug)]
pub struct PolicyDef {
    pub name: &'static NameField,
    pub document: &'static Template,
    pub tightened: &'static Template,
}

/// A role: the guide's trust policy, the tightened one (`--tighten`, and `--harden`, which tightens trust
/// only), and the policies attached to it.
#[derive(Debug)]
pub struct RoleDef {
    pub name: &'static NameField,
    pub trust: &'static Template,
    pub tightened_trust: &'static Template,
    pub policies: &'static [&'static NameField],
}

/// A user, the policies attached to it, and whether it gets an access key.
#[derive(Debug)]
pub struct UserDef {
    pub name: &'static NameField,
    pub policies: &'static [&'static NameField],
    pub access_key: bool,
}

/// One of the guides, whole: one module declares one of these.
pub struct SetupDef {
    /// What `--setup` takes.
    pub id: &'static str,
    /// Its line on the Welcome screen.
    pub title: &'static str,
    /// What it makes, in a few words, for the Welcome screen's help ("the Postman user and its access key").
    pub gist: &'static str,
    /// What it creates, one Welcome line each.
    pub creates: &'static [&'static str],
    /// Warnings the Welcome screen shows.
    pub warnings: &'static [&'static str],
    /// What of it ended with Pinpoint's end of support (2026-10-30) and where AWS points instead, in one line:
    /// the Welcome screen and `plan` say it. `None` when nothing of it ended.
    pub end_of_support: Option<&'static str>,
    /// The values its documents need beyond the account and Region.
    pub params: &'static [Param],
    /// Its names, in the order the wizard asks for them.
    pub names: &'static [&'static NameField],
    /// Created in this order, policies first, then users, then roles (with `all`, setup by setup).
    pub policies: &'static [PolicyDef],
    pub users: &'static [UserDef],
    pub roles: &'static [RoleDef],
    /// What to do with it once it exists, for the summary.
    pub next: fn(&Names) -> String,
}

impl fmt::Debug for SetupDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

impl SetupDef {
    /// Every template it uses, the guide's and the tightened ones.
    pub fn templates(&self) -> impl Iterator<Item = &'static Template> + '_ {
        let policies = self.policies.iter().flat_map(|p| [p.document, p.tightened]);
        let roles = self.roles.iter().flat_map(|r| [r.trust, r.tightened_trust]);
        policies.chain(roles)
    }
}

/// The setups chosen: one of [`SETUPS`], or all of them.
#[derive(Clone, Copy)]
pub struct Selection {
    id: &'static str,
    setups: &'static [&'static SetupDef],
    /// Its line on the Welcome screen, for a choice of several setups.
    title: Option<&'static str>,
}

impl Selection {
    /// AWS's two guides: `--setup all`.
    pub fn all() -> Selection {
        Selection { id: "all", setups: GUIDES, title: Some("Both guides") }
    }

    /// The guides and End User Messaging beside them: `--setup all+end-user-messaging`.
    pub fn all_and_messaging() -> Selection {
        Selection {
            id: "all+end-user-messaging",
            setups: GUIDES_AND_MESSAGING,
            title: Some("Both guides + End User Messaging"),
        }
    }

    /// These setups under this name (a selection outside [`SETUPS`], for tests of the seam).
    pub const fn of(id: &'static str, setups: &'static [&'static SetupDef]) -> Selection {
        Selection { id, setups, title: None }
    }

    /// What `--setup` offers: each guide, `all` (the guides), then the setups that are not guides, alone and
    /// beside the guides.
    pub fn choices() -> Vec<Selection> {
        let one = |s: &'static &'static SetupDef| Selection { id: s.id, setups: std::slice::from_ref(s), title: None };
        let mut out: Vec<Selection> = GUIDES.iter().map(one).collect();
        out.push(Selection::all());
        out.extend(SETUPS.iter().filter(|s| !GUIDES.iter().any(|g| std::ptr::eq(*g, **s))).map(one));
        out.push(Selection::all_and_messaging());
        out
    }

    pub fn as_str(&self) -> &'static str {
        self.id
    }

    /// Its line on the Welcome screen: the setup's title, or the choice's.
    pub fn title(&self) -> &'static str {
        match (self.title, self.setups) {
            (Some(t), _) => t,
            (None, [one]) => one.title,
            (None, _) => "All of them",
        }
    }

    /// The setups, in the order they are carried out.
    pub fn setups(&self) -> impl Iterator<Item = &'static SetupDef> + use<> {
        self.setups.iter().copied()
    }

    /// Whether it is more than one setup (the Welcome screen lists what each makes).
    pub fn is_union(&self) -> bool {
        self.setups.len() > 1
    }

    /// The first chosen setup that needs `param`, if any does.
    pub fn needing(&self, param: Param) -> Option<&'static SetupDef> {
        self.setups().find(|s| s.params.contains(&param))
    }

    /// Every name the chosen setups give, in the order the wizard asks for them.
    pub fn name_fields(&self) -> impl Iterator<Item = &'static NameField> + use<> {
        self.setups().flat_map(|s| s.names.iter().copied())
    }

    /// Whether a role's trust can be hardened (`--harden` changes something).
    pub fn can_harden(&self) -> bool {
        self.setups().flat_map(|s| s.roles).any(|r| !std::ptr::eq(r.trust, r.tightened_trust))
    }

    /// The templates in use: the tightened ones with `tighten`, the tightened trust policies with `harden`.
    pub fn templates(&self, tighten: bool, harden: bool) -> impl Iterator<Item = &'static Template> + use<> {
        self.setups().flat_map(move |s| {
            let policies = s.policies.iter().map(move |p| if tighten { p.tightened } else { p.document });
            let trusts = s.roles.iter().map(move |r| if tighten || harden { r.tightened_trust } else { r.trust });
            policies.chain(trusts)
        })
    }

    /// Whether the documents in use name the placeholder `var`.
    pub fn uses(&self, var: &str, tighten: bool, harden: bool) -> bool {
        self.templates(tighten, harden).any(|t| t.placeholders().contains(&var))
    }
}

impl PartialEq for Selection {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.setups.len() == other.setups.len()
            && self.setups.iter().zip(other.setups).all(|(a, b)| a.id == b.id)
    }
}

impl Eq for Selection {}

impl fmt::Debug for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

impl FromStr for Selection {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let choices = Selection::choices();
        choices.iter().find(|c| c.id == s).copied().ok_or_else(|| {
            let ids: Vec<&str> = choices.iter().map(|c| c.id).collect();
            InvalidValue::new("--setup", s, format!("choose one of {}", ids.join(", ")))
        })
    }
}

/// A setup nobody ships, declared the way a new one would be: it proves that a setup is one declaration.
#[cfg(test)]
pub(crate) mod throwaway {
    use super::*;
    use crate::setup::template::{DocKind, LAMBDA_TRUST};

    static READ_LOGS: Template = Template {
        file: "test/read-logs.json",
        kind: DocKind::Policy,
        text: r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:GetLogEvents",
                  "Resource": "arn:{{partition}}:logs:{{region}}:{{account_id}}:log-group:{{bucket}}:*"}]}"#,
    };
    pub static POLICY: NameField = NameField {
        flag: "--reader-policy-name",
        label: "Reader policy",
        kind: IamKind::Policy,
        default: "ReaderPolicy",
    };
    pub static ROLE: NameField =
        NameField { flag: "--reader-role-name", label: "Reader role", kind: IamKind::Role, default: "ReaderRole" };
    pub static SETUP: SetupDef = SetupDef {
        id: "reader",
        title: "Reader",
        gist: "a role that reads logs",
        creates: &["ReaderPolicy + role ReaderRole (Lambda)"],
        warnings: &[],
        end_of_support: None,
        params: &[Param::Bucket],
        names: &[&POLICY, &ROLE],
        policies: &[PolicyDef { name: &POLICY, document: &READ_LOGS, tightened: &READ_LOGS }],
        users: &[],
        roles: &[RoleDef { name: &ROLE, trust: &LAMBDA_TRUST, tightened_trust: &LAMBDA_TRUST, policies: &[&POLICY] }],
        next: |n| format!("Give a Lambda function the role {}.", n.get(&ROLE)),
    };

    static WITH_POSTMAN: [&SetupDef; 2] = [&crate::setup::postman::SETUP, &SETUP];

    /// Postman and the reader, as `--setup all` would be if the reader were in [`SETUPS`].
    pub fn with_postman() -> Selection {
        Selection::of("all", &WITH_POSTMAN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_each_setup_then_all() {
        let ids: Vec<&str> = Selection::choices().iter().map(|c| c.as_str()).collect();
        assert_eq!(ids, ["postman", "segment-import", "all", "end-user-messaging", "all+end-user-messaging"]);
        assert_eq!("all".parse::<Selection>().unwrap(), Selection::all());
        let e = "both".parse::<Selection>().unwrap_err();
        assert!(e.rule.contains("postman, segment-import, all, end-user-messaging, all+end-user-messaging"), "{e}");
        let all: Vec<&str> = Selection::all().setups().map(|s| s.id).collect();
        assert_eq!(all, ["postman", "segment-import"], "all stays the two guides");
    }

    #[test]
    fn every_name_is_declared_once_and_every_reference_is_to_a_declared_name() {
        let mut flags: Vec<&str> = SETUPS.iter().flat_map(|s| s.names.iter().map(|n| n.flag)).collect();
        let n = flags.len();
        flags.sort();
        flags.dedup();
        assert_eq!(flags.len(), n, "a flag is declared twice");
        for s in SETUPS.iter().copied().chain([&throwaway::SETUP]) {
            let declared = |f: &NameField| s.names.iter().any(|n| std::ptr::eq(*n, f));
            let referenced = s
                .policies
                .iter()
                .map(|p| p.name)
                .chain(s.roles.iter().flat_map(|r| std::iter::once(r.name).chain(r.policies.iter().copied())))
                .chain(s.users.iter().flat_map(|u| std::iter::once(u.name).chain(u.policies.iter().copied())));
            for f in referenced {
                assert!(declared(f), "{}: {} is not among its names", s.id, f.flag);
            }
            for t in s.templates() {
                for var in t.placeholders() {
                    let known = ["partition", "account_id", "region", "path", "bucket", "project_id"].contains(&var)
                        || s.names.iter().any(|n| n.var() == var);
                    assert!(known, "{}: {} uses {{{{{var}}}}}, which nothing fills", s.id, t.file);
                }
            }
        }
    }

    #[test]
    fn only_segment_import_needs_a_bucket_and_a_project_and_can_be_hardened() {
        let postman: Selection = "postman".parse().unwrap();
        assert!(postman.needing(Param::Bucket).is_none() && !postman.can_harden());
        assert_eq!(Selection::all().needing(Param::Project).map(|s| s.id), Some("segment-import"));
        assert!(Selection::all().can_harden());
        // The guide's Postman policy names no Region; the tightened one does.
        assert!(!postman.uses("region", false, false) && postman.uses("region", true, false));
    }
}
