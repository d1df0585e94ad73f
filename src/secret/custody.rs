//! The one-time secret's custody: the single owner of every access key made in this process and of its
//! secret until someone has it. Each key is `Unseen`, then `Delivered` (revealed, copied or saved), and ends
//! `Acknowledged` (the operator left it knowing what happened to the secret) or `Deleted` (verified by reading
//! the account). Every way out of the secret screen and of the wizard asks it what leaving needs; the exit report
//! and code are derived from [`SecretCustody::outcomes`].
//!
//! The rule it keeps: no access key stays active whose secret nobody saw, unless the operator chose to keep it
//! knowing that. It is a leaf: the wizard and the headless commands word its answers, it decides nothing by text.

use super::{NewAccessKey, Secret};

/// The ways a secret reached someone (any of them counts as delivered).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Drawn on the screen unmasked.
    pub revealed: bool,
    /// Put on the clipboard (the system's, or sent to the terminal by OSC 52).
    pub copied: bool,
    /// Written to a credentials profile or a CSV file.
    pub saved: bool,
}

impl Delivery {
    /// Whether the secret reached anyone at all.
    pub fn any(self) -> bool {
        self.revealed || self.copied || self.saved
    }
}

/// Where one new key stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Made; its secret reached no one yet (it is still held).
    Unseen,
    /// Revealed, copied or saved; the secret is still held until the operator leaves it.
    Delivered(Delivery),
    /// The operator left it; the secret is dropped (zeroized). An empty delivery means the operator chose to
    /// keep the key active knowing nobody has its secret.
    Acknowledged(Delivery),
    /// Its deletion was asked for (by the operator, a rollback or a signal) and has not answered yet.
    Deleting,
    /// Deleted, and a read of the account afterwards no longer lists it.
    Deleted,
    /// The deletion failed or could not be verified: the key may still be active, its secret seen by no one.
    NotDeleted,
}

/// One key in custody.
#[derive(Debug)]
struct Held {
    user: String,
    id: String,
    /// The key with its secret, while the secret may still be delivered; `None` once it is dropped.
    key: Option<NewAccessKey>,
    stage: Stage,
}

/// What leaving the secret (the screen or the wizard) needs, for the key on the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leave {
    /// No secret is held: leave freely.
    Free,
    /// The secret reached someone: ask only whether it is stored.
    Delivered { user: String, id: String },
    /// Nobody has the secret: leaving must either delete the key or keep it with the operator's say-so.
    Unseen { user: String, id: String },
}

/// How a key ends, for the exit report (typed: the wording is the caller's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyEnd {
    /// Active, and its secret reached someone this way.
    Delivered(Delivery),
    /// Active without its secret, as the operator chose.
    KeptUnseen,
    /// Active, its secret seen by no one, and nobody chose that (only when the process could not settle it).
    Unseen,
    /// Deleted, verified.
    Deleted,
    /// The deletion failed, was not answered or not verified: it may still be active.
    MaybeActive,
}

impl KeyEnd {
    /// Whether the key is (or may be) active with no one holding its secret, without the operator's say-so.
    pub fn orphaned(&self) -> bool {
        matches!(self, KeyEnd::Unseen | KeyEnd::MaybeActive)
    }
}

/// One key's end, for the exit report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOutcome {
    pub user: String,
    pub id: String,
    pub end: KeyEnd,
}

/// The owner of every new key's secret (see the module's documentation).
#[derive(Debug, Default)]
pub struct SecretCustody {
    keys: Vec<Held>,
}

impl SecretCustody {
    /// Take a new key into custody: unseen until revealed, copied or saved.
    pub fn receive(&mut self, key: NewAccessKey) {
        let (user, id) = (key.user_name.clone(), key.access_key_id.clone());
        self.keys.push(Held { user, id, key: Some(key), stage: Stage::Unseen });
    }

    /// The key whose secret is to be shown now: the newest one still held.
    pub fn held(&self) -> Option<&NewAccessKey> {
        self.keys.iter().rev().find_map(|h| h.key.as_ref())
    }

    fn current(&mut self) -> Option<&mut Held> {
        self.keys.iter_mut().rev().find(|h| h.key.is_some())
    }

    fn by_id(&mut self, id: &str) -> Option<&mut Held> {
        self.keys.iter_mut().find(|h| h.id == id)
    }

    /// Record that the held secret reached someone this way.
    pub fn delivered(&mut self, how: impl Fn(&mut Delivery)) {
        if let Some(h) = self.current() {
            let mut d = match h.stage {
                Stage::Delivered(d) => d,
                _ => Delivery::default(),
            };
            how(&mut d);
            h.stage = Stage::Delivered(d);
        }
    }

    /// The held secret was drawn unmasked.
    pub fn revealed(&mut self) {
        self.delivered(|d| d.revealed = true);
    }

    /// The held secret was put on a clipboard.
    pub fn copied(&mut self) {
        self.delivered(|d| d.copied = true);
    }

    /// The held secret was written to a file.
    pub fn saved(&mut self) {
        self.delivered(|d| d.saved = true);
    }

    /// What leaving the key on the screen needs.
    pub fn leave(&self) -> Leave {
        match self.keys.iter().rev().find(|h| h.key.is_some()) {
            None => Leave::Free,
            Some(h) if matches!(h.stage, Stage::Delivered(_)) => {
                Leave::Delivered { user: h.user.clone(), id: h.id.clone() }
            }
            Some(h) => Leave::Unseen { user: h.user.clone(), id: h.id.clone() },
        }
    }

    /// What leaving the wizard needs: like [`Self::leave`], but about any held key nobody has seen, not only the
    /// one on the screen.
    pub fn leave_all(&self) -> Leave {
        match self.keys.iter().find(|h| h.key.is_some() && h.stage == Stage::Unseen) {
            Some(h) => Leave::Unseen { user: h.user.clone(), id: h.id.clone() },
            None => self.leave(),
        }
    }

    /// The operator left the key on the screen (after `leave` was answered): its secret is dropped.
    /// Leaving an unseen key this way is the operator's choice to keep it without its secret.
    pub fn acknowledge(&mut self) {
        if let Some(id) = self.current().map(|h| h.id.clone()) {
            self.keep(&id);
        }
    }

    /// The operator chose to keep key `id` as it is and leave it; unseen, that is keeping it without its secret.
    pub fn keep(&mut self, id: &str) {
        if let Some(h) = self.by_id(id)
            && h.key.is_some()
        {
            let d = match h.stage {
                Stage::Delivered(d) => d,
                _ => Delivery::default(),
            };
            h.stage = Stage::Acknowledged(d);
            h.key = None;
        }
    }

    /// A deletion of key `id` was asked for: its secret is of no use to anyone any more.
    pub fn deleting(&mut self, id: &str) {
        if let Some(h) = self.by_id(id) {
            h.stage = Stage::Deleting;
            h.key = None;
        }
    }

    /// The deletion of key `id` answered: gone (verified) or not.
    pub fn deleted(&mut self, id: &str, verified: bool) {
        if let Some(h) = self.by_id(id) {
            h.stage = if verified { Stage::Deleted } else { Stage::NotDeleted };
            h.key = None;
        }
    }

    /// The keys whose secret reached no one and that nobody chose to keep: what a signal (no one there to
    /// ask) deletes, as (user, id).
    pub fn undelivered(&self) -> Vec<(String, String)> {
        self.keys.iter().filter(|h| h.stage == Stage::Unseen).map(|h| (h.user.clone(), h.id.clone())).collect()
    }

    /// Whether a deletion is still waiting for its answer.
    pub fn deleting_any(&self) -> bool {
        self.keys.iter().any(|h| h.stage == Stage::Deleting)
    }

    /// Whether key `id` is in custody and not deleted (asked or done).
    pub fn is_live(&self, id: &str) -> bool {
        self.keys.iter().any(|h| h.id == id && !matches!(h.stage, Stage::Deleting | Stage::Deleted))
    }

    /// Where key `id` stands.
    pub fn stage(&self, id: &str) -> Option<Stage> {
        self.keys.iter().find(|h| h.id == id).map(|h| h.stage)
    }

    /// Whether any key was made in this process.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How every key ends if the process ends now.
    pub fn outcomes(&self) -> Vec<KeyOutcome> {
        self.keys
            .iter()
            .map(|h| {
                let end = match h.stage {
                    Stage::Unseen => KeyEnd::Unseen,
                    Stage::Delivered(d) => KeyEnd::Delivered(d),
                    Stage::Acknowledged(d) if d.any() => KeyEnd::Delivered(d),
                    Stage::Acknowledged(_) => KeyEnd::KeptUnseen,
                    Stage::Deleted => KeyEnd::Deleted,
                    Stage::Deleting | Stage::NotDeleted => KeyEnd::MaybeActive,
                };
                KeyOutcome { user: h.user.clone(), id: h.id.clone(), end }
            })
            .collect()
    }
}

/// A copy of a held key for a blocking task (a save); zeroized when dropped like the original.
pub fn copy_key(k: &NewAccessKey) -> NewAccessKey {
    NewAccessKey {
        user_name: k.user_name.clone(),
        access_key_id: k.access_key_id.clone(),
        secret_access_key: Secret::new(k.secret_access_key.expose().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> NewAccessKey {
        NewAccessKey {
            user_name: "PostmanUser".into(),
            access_key_id: id.into(),
            secret_access_key: Secret::new(format!("secret-of-{id}")),
        }
    }

    #[test]
    fn a_new_key_is_unseen_and_leaving_it_needs_a_choice() {
        let mut c = SecretCustody::default();
        assert_eq!(c.leave(), Leave::Free);
        c.receive(key("AKIA1"));
        assert_eq!(c.leave(), Leave::Unseen { user: "PostmanUser".into(), id: "AKIA1".into() });
        assert_eq!(c.undelivered(), vec![("PostmanUser".to_string(), "AKIA1".to_string())]);
        assert_eq!(c.outcomes()[0].end, KeyEnd::Unseen);
        assert!(c.outcomes()[0].end.orphaned());
    }

    #[test]
    fn revealed_copied_or_saved_is_delivered_and_leaving_drops_the_secret() {
        for mark in [SecretCustody::revealed, SecretCustody::copied, SecretCustody::saved] {
            let mut c = SecretCustody::default();
            c.receive(key("AKIA1"));
            mark(&mut c);
            assert!(matches!(c.leave(), Leave::Delivered { .. }));
            assert!(c.undelivered().is_empty(), "a signal leaves a delivered key alone");
            c.acknowledge();
            assert!(c.held().is_none(), "the secret is dropped on leaving");
            assert_eq!(c.leave(), Leave::Free);
            assert!(matches!(c.outcomes()[0].end, KeyEnd::Delivered(d) if d.any()));
        }
    }

    #[test]
    fn keeping_an_unseen_key_is_the_operators_choice_and_says_so() {
        let mut c = SecretCustody::default();
        c.receive(key("AKIA1"));
        c.receive(key("AKIA2"));
        c.revealed();
        assert!(matches!(c.leave(), Leave::Delivered { .. }), "the key on the screen was revealed");
        assert!(matches!(c.leave_all(), Leave::Unseen { id, .. } if id == "AKIA1"), "quitting asks about the other");
        c.keep("AKIA1");
        assert_eq!(c.outcomes()[0].end, KeyEnd::KeptUnseen);
        assert!(!c.outcomes()[0].end.orphaned());
        assert!(c.undelivered().is_empty());
    }

    #[test]
    fn a_deletion_is_done_only_when_verified() {
        let mut c = SecretCustody::default();
        c.receive(key("AKIA1"));
        c.receive(key("AKIA2"));
        assert_eq!(c.held().map(|k| k.access_key_id.as_str()), Some("AKIA2"), "the newest is shown first");
        c.deleting("AKIA2");
        assert!(c.deleting_any());
        assert_eq!(c.held().map(|k| k.access_key_id.as_str()), Some("AKIA1"), "then the one still held");
        assert_eq!(c.outcomes()[1].end, KeyEnd::MaybeActive, "asked, not answered: it may still be active");
        c.deleted("AKIA2", true);
        c.deleting("AKIA1");
        c.deleted("AKIA1", false);
        assert!(!c.deleting_any());
        let ends: Vec<KeyEnd> = c.outcomes().into_iter().map(|o| o.end).collect();
        assert_eq!(ends, vec![KeyEnd::MaybeActive, KeyEnd::Deleted]);
        assert!(!c.is_live("AKIA2") && c.is_live("AKIA1"));
    }
}
