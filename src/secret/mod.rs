//! The secret access key: one owned copy, zeroized on drop, redacted in Debug and Display; where it may go
//! (the clipboard, a credentials profile, a CSV) only when the user asks.

pub mod clipboard;
pub mod custody;
pub mod dumps;
pub mod keeper;
pub mod store;

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

impl serde::Serialize for Secret {
    /// Serialized only into the output the user asked for (headless apply's JSON), straight from this copy.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
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
