//! Copying to the clipboard that really works: the system clipboard through one long-lived arboard
//! `Clipboard` (on X11 the owning process serves the content), else the OSC 52 escape sequence to the
//! terminal (through tmux or screen when inside them), and clearing the secret again after a timeout.

use base64::Engine;
use std::io::Write;
use std::time::{Duration, Instant};

/// How a copy reached a clipboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    System,
    Osc52,
}

/// Where the process runs, as far as copying is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Surroundings {
    pub display: bool,
    pub ssh: bool,
    pub tmux: bool,
    pub screen: bool,
}

impl Surroundings {
    pub fn from_env() -> Self {
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        Surroundings {
            display: set("DISPLAY") || set("WAYLAND_DISPLAY"),
            ssh: set("SSH_TTY") || set("SSH_CONNECTION"),
            tmux: set("TMUX"),
            screen: std::env::var("TERM").is_ok_and(|t| t.starts_with("screen")) && set("STY"),
        }
    }
}

/// The OSC 52 sequence that puts `data` on the terminal's clipboard (an empty `data` clears it), wrapped for
/// tmux (`ESC P tmux; … ESC \`, inner escapes doubled) or screen (`ESC P … ESC \`) so it reaches the terminal.
pub fn osc52(data: &[u8], env: &Surroundings) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    let inner = format!("\x1b]52;c;{b64}\x07");
    let wrapped = if env.tmux {
        format!("\x1bPtmux;{}\x1b\\", inner.replace('\x1b', "\x1b\x1b"))
    } else if env.screen {
        format!("\x1bP{inner}\x1b\\")
    } else {
        inner
    };
    wrapped.into_bytes()
}

/// The clipboard of the app, kept for its whole life. It remembers a keyed fingerprint of the secret it
/// copied, never the secret, so it can tell later whether the clipboard still holds it.
pub struct Clipboard {
    env: Surroundings,
    system: Option<arboard::Clipboard>,
    system_failed: Option<String>,
    hasher: std::collections::hash_map::RandomState,
    copied_secret: Option<(u64, Method)>,
}

impl Clipboard {
    pub fn new(env: Surroundings) -> Self {
        Clipboard { env, system: None, system_failed: None, hasher: Default::default(), copied_secret: None }
    }

    fn fingerprint(&self, text: &str) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(text)
    }

    /// Whether a copied secret may still be on a clipboard.
    pub fn holds_secret(&self) -> bool {
        self.copied_secret.is_some()
    }

    fn system(&mut self) -> Option<&mut arboard::Clipboard> {
        // Over SSH a display is usually forwarded to the far side's X server, not the user's desk: prefer OSC 52.
        if !self.env.display || self.env.ssh {
            return None;
        }
        if self.system.is_none() && self.system_failed.is_none() {
            match arboard::Clipboard::new() {
                Ok(c) => self.system = Some(c),
                Err(e) => self.system_failed = Some(e.to_string()),
            }
        }
        self.system.as_mut()
    }

    /// Copy `text`; `secret` marks it so clipboard managers that honour the hint keep no history of it.
    pub fn copy(&mut self, text: &str, secret: bool, terminal: &mut impl Write) -> Result<Method, String> {
        if let Some(cb) = self.system() {
            let set = cb.set();
            #[cfg(target_os = "linux")]
            let set = {
                use arboard::SetExtLinux;
                if secret { set.exclude_from_history() } else { set }
            };
            match set.text(text) {
                Ok(()) => {
                    self.copied_secret = secret.then(|| (self.fingerprint(text), Method::System));
                    return Ok(Method::System);
                }
                Err(e) => self.system_failed = Some(e.to_string()),
            }
        }
        let result = terminal
            .write_all(&osc52(text.as_bytes(), &self.env))
            .and_then(|()| terminal.flush())
            .map(|()| Method::Osc52)
            .map_err(|e| format!("the terminal could not be written ({e})"));
        if result.is_ok() {
            self.copied_secret = secret.then(|| (self.fingerprint(text), Method::Osc52));
        }
        result
    }

    /// What the system clipboard holds now, read into memory that is wiped after use.
    fn read_system(&mut self) -> Option<zeroize::Zeroizing<String>> {
        self.system.as_mut().map(|cb| zeroize::Zeroizing::new(cb.get_text().unwrap_or_default()))
    }

    /// Clear the clipboard if it still holds the copied secret (the system clipboard is read back first; a
    /// terminal's cannot be read, so OSC 52 is told to clear). Returns whether something was cleared.
    pub fn clear_secret(&mut self, terminal: &mut impl Write) -> bool {
        let Some((fp, method)) = self.copied_secret.take() else { return false };
        match method {
            Method::System => {
                let holds = self.read_system().is_some_and(|t| self.fingerprint(&t) == fp);
                holds && self.system.as_mut().is_some_and(|cb| cb.clear().is_ok())
            }
            Method::Osc52 => terminal.write_all(&osc52(b"", &self.env)).and_then(|()| terminal.flush()).is_ok(),
        }
    }

    /// On leaving with the secret sent to the terminal's clipboard (OSC 52) and not cleared yet: clear it, since
    /// no process can serve it after exit. Returns whether the clearing sequence was written.
    pub fn clear_terminal_copy(&mut self, terminal: &mut impl Write) -> bool {
        match self.copied_secret {
            Some((_, Method::Osc52)) => self.clear_secret(terminal),
            _ => false,
        }
    }

    /// On leaving with the secret still on the system clipboard: give a clipboard manager a bounded moment to
    /// take it (on X11 the content would otherwise go with this process). Returns whether it was offered.
    pub fn hand_over(&mut self, within: Duration) -> bool {
        let Some((fp, Method::System)) = self.copied_secret else { return false };
        let Some(text) = self.read_system().filter(|t| self.fingerprint(t) == fp) else { return false };
        #[cfg(target_os = "linux")]
        if let Some(cb) = self.system.as_mut() {
            use arboard::SetExtLinux;
            return cb.set().exclude_from_history().wait_until(Instant::now() + within).text(text.as_str()).is_ok();
        }
        let _ = (text, within);
        false
    }

    /// The copied secret, if the system clipboard still holds it (for the keeper that serves it after exit).
    pub fn held_secret(&mut self) -> Option<zeroize::Zeroizing<String>> {
        let Some((fp, Method::System)) = self.copied_secret else { return None };
        self.read_system().filter(|t| self.fingerprint(t) == fp)
    }

    /// Why the system clipboard is not used, if it is not.
    pub fn system_unavailable(&self) -> Option<String> {
        if !self.env.display {
            Some("no display (DISPLAY and WAYLAND_DISPLAY are unset)".into())
        } else if self.env.ssh {
            Some("an SSH session".into())
        } else {
            self.system_failed.clone()
        }
    }
}

/// What the screen says after a copy.
pub fn describe(what: &str, result: &Result<Method, String>, why_not_system: Option<&str>) -> String {
    match result {
        Ok(Method::System) => format!("✓ {what} copied to the system clipboard"),
        Ok(Method::Osc52) => format!(
            "→ {what} sent to your terminal's clipboard (OSC 52{}); if nothing pastes, your terminal ignores OSC 52: reveal with r and copy by hand",
            why_not_system.map(|w| format!(", because of {w}")).unwrap_or_default()
        ),
        Err(e) => format!("✗ could not copy: {e}. Reveal the {what} with r and copy it by hand"),
    }
}

/// The status line after copying something that is on the screen anyway (a document, an ARN, a command).
pub fn describe_plain(what: &str, result: &Result<Method, String>, why_not_system: Option<&str>) -> String {
    match result {
        Ok(Method::System) => format!("✓ {what} copied to the system clipboard"),
        Ok(Method::Osc52) => format!(
            "→ {what} sent to your terminal's clipboard (OSC 52{}); if nothing pastes, select it with the mouse",
            why_not_system.map(|w| format!(", because of {w}")).unwrap_or_default()
        ),
        Err(e) => format!("✗ could not copy {what}: {e}. Select it with the mouse instead"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_bytes() {
        let plain = osc52(b"secret", &Surroundings::default());
        assert_eq!(plain, b"\x1b]52;c;c2VjcmV0\x07");
        let tmux = osc52(b"secret", &Surroundings { tmux: true, ..Default::default() });
        assert_eq!(tmux, b"\x1bPtmux;\x1b\x1b]52;c;c2VjcmV0\x07\x1b\\");
        let screen = osc52(b"secret", &Surroundings { screen: true, ..Default::default() });
        assert_eq!(screen, b"\x1bP\x1b]52;c;c2VjcmV0\x07\x1b\\");
        assert_eq!(osc52(b"", &Surroundings::default()), b"\x1b]52;c;\x07");
    }

    #[test]
    fn without_a_display_copy_goes_to_the_terminal() {
        let mut cb = Clipboard::new(Surroundings::default());
        let mut out = Vec::new();
        assert_eq!(cb.copy("abc", true, &mut out), Ok(Method::Osc52));
        assert_eq!(out, b"\x1b]52;c;YWJj\x07");
        assert!(cb.holds_secret());
        out.clear();
        assert!(cb.clear_secret(&mut out), "OSC 52 is told to clear");
        assert_eq!(out, b"\x1b]52;c;\x07");
        assert!(!cb.holds_secret());
        assert!(!cb.clear_secret(&mut out), "only once");
        assert!(cb.system_unavailable().unwrap().contains("no display"));
        let over_ssh = Clipboard::new(Surroundings { display: true, ssh: true, ..Default::default() });
        assert_eq!(over_ssh.system_unavailable().as_deref(), Some("an SSH session"));
    }

    #[test]
    fn messages_name_the_method() {
        assert_eq!(
            describe("secret access key", &Ok(Method::System), None),
            "✓ secret access key copied to the system clipboard"
        );
        assert!(
            describe("secret access key", &Ok(Method::Osc52), Some("no display"))
                .contains("sent to your terminal's clipboard (OSC 52, because of no display)")
        );
        assert!(describe("secret access key", &Err("x".into()), None).contains("copy it by hand"));
    }
}
