//! Amazon Pinpoint's end of support (2026-10-30), per `mobiletargeting` action: which actions ended, which
//! continue as AWS End User Messaging, and which no AWS page decides, each with the page that decides it and
//! AWS's successor. The table is data (`assets/pinpoint-end-of-support.json`, written by
//! `scripts/refresh-end-of-support` from the catalogue); findings and the setups' words read it from here.

use serde::Deserialize;
use std::sync::LazyLock;

const SOURCE: &str = include_str!("../../assets/pinpoint-end-of-support.json");

static TABLE: LazyLock<Result<Table, String>> =
    LazyLock::new(|| serde_json::from_str(SOURCE).map_err(|e| format!("assets/pinpoint-end-of-support.json: {e}")));

/// The table, parsed once; an error names the file (a build always carries a valid one: a test parses it).
pub fn get() -> Result<&'static Table, &'static str> {
    TABLE.as_ref().map_err(String::as_str)
}

/// What became of an action on 2026-10-30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// It ended with Pinpoint.
    Ended,
    /// It continues, as part of AWS End User Messaging.
    Continues,
    /// No AWS page decides.
    Unclear,
}

/// One `mobiletargeting` action and its fate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Row {
    /// The action's name without the prefix (`CreateImportJob`).
    pub action: String,
    pub fate: Fate,
    /// The URL of the page that decides it.
    pub source: String,
    /// What AWS points to instead, for an ended action; `None` when the pages name nothing.
    pub successor: Option<String>,
    /// What the action is about, in a few words (`import jobs make segments`).
    pub why: String,
}

/// A page the table cites.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Cited {
    pub id: String,
    pub url: String,
    pub says: String,
}

/// The whole table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Table {
    /// The day support ended, `YYYY-MM-DD`.
    pub end_of_support: String,
    /// The day the table was made.
    pub updated: String,
    pub sources: Vec<Cited>,
    pub actions: Vec<Row>,
}

impl Table {
    /// The row of a `mobiletargeting` action (its name without the prefix, any case).
    pub fn row(&self, action: &str) -> Option<&Row> {
        self.actions.iter().find(|r| r.action.eq_ignore_ascii_case(action))
    }
}

/// What a grant of one or more `mobiletargeting` actions (one action, or what a wildcard matches) amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<'t> {
    /// Every action it grants continues (or it grants none the table knows): nothing to say.
    Continues,
    /// Every action it grants ended, none continues: with AWS's successors, each once, in the table's order.
    Ended { actions: Vec<&'t str>, successors: Vec<&'t str> },
    /// Some ended, others continue or are unclear: which.
    Mixed { ended: Vec<&'t str>, continuing: Vec<&'t str>, unclear: Vec<&'t str> },
    /// None ended, but some no page decides.
    Unclear { actions: Vec<&'t str> },
}

/// Judge the `mobiletargeting` actions a grant names (without the prefix).
pub fn judge<'t>(table: &'t Table, names: &[&str]) -> Verdict<'t> {
    let rows: Vec<&Row> = names.iter().filter_map(|n| table.row(n)).collect();
    let of =
        |fate: Fate| -> Vec<&'t str> { rows.iter().filter(|r| r.fate == fate).map(|r| r.action.as_str()).collect() };
    let (ended, continuing, unclear) = (of(Fate::Ended), of(Fate::Continues), of(Fate::Unclear));
    match (ended.is_empty(), continuing.is_empty() && unclear.is_empty()) {
        (true, _) if unclear.is_empty() => Verdict::Continues,
        (true, _) => Verdict::Unclear { actions: unclear },
        (false, true) => {
            let mut successors: Vec<&str> = vec![];
            for s in rows.iter().filter(|r| r.fate == Fate::Ended).filter_map(|r| r.successor.as_deref()) {
                if !successors.contains(&s) {
                    successors.push(s);
                }
            }
            Verdict::Ended { actions: ended, successors }
        }
        (false, false) => Verdict::Mixed { ended, continuing, unclear },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_every_row_cites_a_page_it_lists() {
        let t = get().unwrap();
        assert_eq!(t.end_of_support, "2026-10-30");
        for r in &t.actions {
            assert!(r.source.starts_with("https://"), "{}: {}", r.action, r.source);
            assert!(t.sources.iter().any(|s| s.url == r.source), "{} cites a page the header does not list", r.action);
            assert!(!r.why.is_empty(), "{}", r.action);
        }
    }

    #[test]
    fn one_action_a_wildcards_matches_and_a_mix() {
        let t = get().unwrap();
        match judge(t, &["CreateImportJob"]) {
            Verdict::Ended { actions, successors } => {
                assert_eq!(actions, ["CreateImportJob"]);
                assert!(successors[0].starts_with("Amazon Connect Customer Profiles"), "{successors:?}");
            }
            v => panic!("{v:?}"),
        }
        assert_eq!(judge(t, &["PhoneNumberValidate"]), Verdict::Continues);
        assert_eq!(judge(t, &["SendMessages", "SendOTPMessage"]), Verdict::Continues);
        match judge(t, &["SendMessages", "SendUsersMessages", "SendOTPMessage"]) {
            Verdict::Mixed { ended, continuing, unclear } => {
                assert_eq!(
                    (ended, continuing, unclear),
                    (vec!["SendUsersMessages"], vec!["SendMessages", "SendOTPMessage"], vec![])
                );
            }
            v => panic!("{v:?}"),
        }
        assert_eq!(judge(t, &["GetApplicationSettings"]), Verdict::Unclear { actions: vec!["GetApplicationSettings"] });
        assert_eq!(judge(t, &["NoSuchAction"]), Verdict::Continues, "unknown names are the catalogue's to report");
    }
}
