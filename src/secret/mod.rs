//! The secret access key: one owned copy, zeroized on drop, redacted in Debug and Display; where it may go
//! (the clipboard, a credentials profile, a CSV) only when the user asks.

pub mod clipboard;
pub mod custody;
pub mod dumps;
pub mod keeper;
pub mod store;

use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

/// A secret that is shown once and never logged: `secrecy`'s box (wiped on drop, no `Serialize`, no
/// `Display`), behind our own name so Debug and Display say `<redacted>` in this tool's words. Serialized
/// only where one field opts in with `serialize_with = "crate::secret::exposed"`.
pub struct Secret(SecretString);

impl Secret {
    /// Take the secret: moved into a box of its exact size, and the `String` it came in wiped (turning the
    /// `String` into a box directly would shrink it by reallocation, leaving an unwiped copy behind).
    pub fn new(mut value: String) -> Self {
        let exact: Box<str> = Box::from(value.as_str());
        value.zeroize();
        Secret(SecretString::new(exact))
    }

    /// The secret itself, for the places the user asked to see, copy or save it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// The one way a secret enters a serialized document: a field that says so with
/// `#[serde(serialize_with = "crate::secret::exposed")]`.
pub fn exposed<S: serde::Serializer>(secret: &Option<&Secret>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => s.serialize_str(secret.expose()),
        None => s.serialize_none(),
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

/// Text that holds a secret, built in one buffer of the exact size (a `format!` or a `push_str` that grows
/// reallocates, and the allocator keeps the old block's bytes) and wiped when dropped.
pub fn joined(parts: &[&str]) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::with_capacity(parts.iter().map(|p| p.len()).sum()));
    parts.iter().for_each(|p| text.push_str(p));
    text
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
        let err = crate::aws::AwsError::Quota {
            action: "iam:CreateAccessKey".into(),
            resource: key.user_name.clone(),
            message: format!("{key:?}"),
            request_id: None,
        };
        assert!(!err.to_string().contains("wJalr"), "errors carry only the redacted form");
    }

    #[test]
    fn zeroize_wipes_the_whole_buffer() {
        // What Drop runs, checked on a buffer that is still allocated: every byte of its capacity is zero.
        let mut s = String::with_capacity(64);
        s.push_str("wJalrFAKEFAKEFAKE");
        let (ptr, cap) = (s.as_ptr(), s.capacity());
        s.zeroize();
        let bytes = unsafe { std::slice::from_raw_parts(ptr, cap) };
        assert!(bytes.iter().all(|b| *b == 0));
        assert!(s.is_empty());
    }

    #[test]
    fn panics_never_show_the_secret() {
        let key = Secret::new("wJalrPANICPANIC".into());
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| panic!("failed with {key:?} {key}")));
        let msg = caught.unwrap_err().downcast::<String>().unwrap();
        assert!(!msg.contains("wJalr"), "{msg}");
    }
}
