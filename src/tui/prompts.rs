//! The prompts' words: the confirmations the app and more than one screen open (leaving without a secret,
//! quitting in each state of the run, a rotation, an export), written once here so no screen imports another.

use super::overlay::{Choice, Confirm, Intent, KeyRotation};
use super::progress::Phase;
use super::session::{self, Session};
use crate::secret::custody::Leave;
use std::time::Instant;

/// Leaving (or quitting) while nobody has the key's secret: the same warning and the same two ways out, both
/// confirmed here: delete the key (the default of a second Ctrl-C), or keep it active knowing nobody can use it.
pub fn unseen_prompt(user: &str, id: &str, quitting: bool) -> Confirm {
    let then = if quitting { "quits" } else { "shows the summary" };
    let title = if quitting { "Quit without the secret?" } else { "Leave without the secret?" };
    let mut c = Confirm::new(title)
        .line(format!(
            "Nobody has the secret of {user}'s new access key {id}: it was never revealed, copied or saved, and AWS \
             never shows it again."
        ))
        .line(format!("d deletes the key (then checks it is gone), then {then} (the default of a second Ctrl-C);"))
        .line(format!(
            "k keeps it active without its secret (nobody can use it; rotate-key makes a new one), then {then}."
        ))
        .cancel("stay");
    let delete = Intent::DeleteKey { user: user.into(), id: id.into() };
    let keep = Intent::KeepUnseenKey { id: id.into() };
    if quitting {
        c = c.quitting().choice_then_quit('d', "delete the key, quit", delete).choice_then_quit(
            'k',
            "keep the key, quit",
            keep,
        );
    } else {
        c = c.choice('d', "delete the key", delete).choice('k', "keep it unusable", keep);
    }
    c
}

/// The confirmation before a new access key is made for `user`.
pub fn rotate_confirm(user: String) -> Confirm {
    Confirm::new("Create a new access key?")
        .line(format!("Creates a new access key for {user}; its secret is shown once, on the next screen."))
        .line("If the user already has two keys (AWS's maximum), you first choose one to delete.")
        .line("The old key stays active until you deactivate it on the summary.")
        .choice('y', "create a new key", Intent::ListKeysToRotate { user })
        .cancel("not now")
}

/// A rotation for a user with two keys, once the one to delete first is chosen.
pub fn rotate_deleting(user: &str, key: &crate::aws::iam::AccessKeyInfo) -> Confirm {
    let state = if key.active { "active" } else { "inactive" };
    let rotate = Intent::Rotate(KeyRotation { user: user.to_string(), delete_first: Some(key.id.clone()) });
    Confirm::new("Rotate the access key")
        .line(format!("Delete {user}'s {state} access key {} now, then create a new one.", key.id))
        .line("Anything still using the deleted key stops working at once.")
        .line("The new secret is shown once, on the next screen.")
        .choice('y', format!("delete {} and create a new key", key.id), rotate)
}

/// The export overlay: which format to write, and where each goes (the working directory, never over a file).
pub fn export_prompt() -> Confirm {
    use crate::export::ExportFormat;
    Confirm::new("Export")
        .line(
            "Write this setup for another tool, into the working directory (a new name, never over a file). Nothing \
             is sent to AWS.",
        )
        .line("1 CloudFormation template (pinpoint-iam.yaml): account and Region from the stack.")
        .line("2 AWS CLI script (pinpoint-iam-cli/setup.sh) with the documents beside it.")
        .line("3 Terraform (pinpoint-iam-terraform/main.tf).")
        .line("4 Every document as JSON (pinpoint-iam-export-documents/).")
        .line("None of them holds an access key or a secret.")
        .choice('1', "CloudFormation", Intent::Export(ExportFormat::CloudFormation))
        .choice('2', "CLI script", Intent::Export(ExportFormat::Cli))
        .choice('3', "Terraform", Intent::Export(ExportFormat::Terraform))
        .choice('4', "documents", Intent::Export(ExportFormat::Documents))
}

/// What quitting asks in the session's state (`on_secret`: the secret screen is shown), or `None` when nothing
/// is unsettled and the wizard may leave at once.
pub fn quit(s: &Session, on_secret: bool, now: Instant) -> Option<Confirm> {
    let made = session::made_by_run(s);
    let quit = |key, does: &str, intent| Choice { key, does: does.into(), intent, then_quit: true };
    let prompt = |title: &str, lines: Vec<String>, choices: Vec<Choice>| {
        let mut c = Confirm::new(title).lines(lines).quitting();
        c.choices = choices;
        c
    };
    match &s.run.phase {
        Phase::Applying => Some(prompt(
            "Quit while steps run?",
            vec![
                "Steps are writing to the account now.".into(),
                "b stops them and deletes or restores everything this run made (the default of a second Ctrl-C);"
                    .into(),
                "k stops them and keeps what exists (a new key's secret is shown first); the summary printed on \
                 exit lists it."
                    .into(),
            ],
            vec![
                quit('b', "stop, roll back, quit", Intent::Stop { roll_back: true }),
                quit('k', "stop, keep, quit", Intent::Stop { roll_back: false }),
            ],
        )),
        Phase::Stopping { .. } | Phase::RollingBack => Some(prompt(
            "Quit before the run settles?",
            vec![
                "The run is being stopped or rolled back.".into(),
                "w quits as soon as that is done; y quits now and leaves part of this run in the account.".into(),
            ],
            vec![
                Choice { key: 'w', does: "quit when settled".into(), intent: Intent::Keep, then_quit: true },
                quit('y', "quit now", Intent::Quit),
            ],
        )),
        Phase::Failed(log) if !log.is_empty() => {
            // Nothing confirmed written, yet the rollback log holds what a request without an answer may have done.
            let mut lines = vec![match made.is_empty() {
                true => "The run failed before any write was confirmed; a request that got no answer may still \
                         have been carried out."
                    .to_string(),
                false => format!("The run failed. It made or changed: {}.", list_or_none(&made)),
            }];
            let run_key = s.run.key.as_ref().is_some_and(|id| s.custody.is_live(id));
            if run_key {
                lines.push("Its access key was never shown: rolling back deletes it.".into());
            }
            lines.push("b undoes all of it, then quits (the default of a second Ctrl-C);".into());
            lines.push(if run_key {
                "k keeps it as it is, shows the key's secret once, then you quit; the summary printed on exit lists it."
                    .into()
            } else {
                "k keeps it as it is and quits; the summary printed on exit lists it.".into()
            });
            Some(prompt(
                "Quit after a failed run?",
                lines,
                vec![quit('b', "roll back, quit", Intent::RollBack), quit('k', "keep, quit", Intent::Keep)],
            ))
        }
        _ if on_secret => match s.custody.leave_all() {
            Leave::Unseen { user, id } => Some(unseen_prompt(&user, &id, true)),
            Leave::Delivered { .. } => {
                let mut lines = vec!["The secret access key will be gone for good: AWS never shows it again.".into()];
                if let (true, Some(n)) = (s.clipboard_holds_secret, s.clear_in(now)) {
                    lines.push(format!(
                        "The clipboard keeps it for {n} s more after the wizard exits, then it is cleared."
                    ));
                }
                if s.terminal_holds_secret {
                    lines.push("Your terminal's clipboard (OSC 52) is cleared of it as the wizard exits.".into());
                }
                Some(prompt("Quit?", lines, vec![quit('y', "quit", Intent::Quit)]))
            }
            Leave::Free => None,
        },
        _ if s.clipboard_holds_secret && s.clear_in(now).is_some_and(|n| n > 0) => {
            let n = s.clear_in(now).unwrap_or_default();
            Some(prompt(
                "Quit?",
                vec![format!(
                    "The clipboard still holds the secret access key: it keeps it for {n} s more after the \
                     wizard exits, then it is cleared."
                )],
                vec![quit('y', "quit", Intent::Quit)],
            ))
        }
        _ => None,
    }
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() { "nothing".into() } else { v.join(", ") }
}
