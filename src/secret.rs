//! The secret access key: one owned copy, zeroized on drop, redacted in Debug and Display.

use std::fmt;
use zeroize::Zeroize;

/// A secret that is shown once and never logged.
pub struct Secret(String);

impl Secret {
    /// Take ownership of a secret without copying it.
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    /// The secret itself, for the places the user asked to see, copy or save it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A newly created access key: its id is public, its secret is not.
#[derive(Debug)]
pub struct NewAccessKey {
    pub user_name: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let key = NewAccessKey {
            user_name: "u".into(),
            access_key_id: "AKIAFAKE".into(),
            secret_access_key: Secret::new("wJalrFAKEFAKEFAKE".into()),
        };
        let shown = format!("{key:?} {} {:?}", key.secret_access_key, key.secret_access_key);
        assert!(!shown.contains("wJalr"), "{shown}");
        assert!(shown.contains("AKIAFAKE"));
        assert_eq!(key.secret_access_key.expose(), "wJalrFAKEFAKEFAKE");
    }
}
