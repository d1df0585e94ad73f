//! Saving a new access key, only when the user asks: a named profile in the shared credentials file, or a CSV
//! in the console's format. Both are written with mode 0600 and never overwrite anything silently.

use super::NewAccessKey;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why a key could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("profile [{profile}] already exists in {path}: choose another name, or confirm overwriting it")]
    ProfileExists { profile: String, path: PathBuf },
    #[error("{path} already exists: pinpoint-iam-wizard never overwrites a key file; choose another path")]
    FileExists { path: PathBuf },
    #[error("invalid profile name {0:?}: use letters, digits, '-', '_' and '.'")]
    BadProfileName(String),
    #[error("{path} is not a regular file (a device, a pipe or a socket): the key is not saved there; name a file")]
    NotAFile { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SaveError + '_ {
    move |source| SaveError::Io { path: path.to_path_buf(), source }
}

/// The shared credentials file: `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
pub fn credentials_path() -> PathBuf {
    match std::env::var_os("AWS_SHARED_CREDENTIALS_FILE") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => {
            let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
            home.join(".aws").join("credentials")
        }
    }
}

/// The byte range of a `[name]` section: its header to its last key line (blank lines and comments after
/// that belong to what follows and are kept).
fn section(text: &str, name: &str) -> Option<(usize, usize)> {
    let mut range: Option<(usize, usize)> = None;
    let mut inside = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        let header = t.strip_prefix('[').and_then(|l| l.strip_suffix(']')).map(str::trim);
        if let Some(h) = header {
            if inside {
                break;
            }
            if h == name {
                inside = true;
                range = Some((offset, offset + line.len()));
            }
        } else if inside && !t.is_empty() && !t.starts_with('#') && !t.starts_with(';') {
            range = range.map(|(s, _)| (s, offset + line.len()));
        }
        offset += line.len();
    }
    range
}

/// Whether the credentials file already has this profile.
pub fn profile_exists(path: &Path, profile: &str) -> bool {
    fs::read_to_string(path).map(|t| section(&t, profile).is_some()).unwrap_or(false)
}

/// Add (or, with `overwrite`, replace) a profile; every other byte of the file is kept as it was.
/// Written to a temporary file beside it, mode 0600, then renamed over it (atomic on one filesystem).
pub fn save_profile(path: &Path, profile: &str, key: &NewAccessKey, overwrite: bool) -> Result<(), SaveError> {
    if profile.is_empty() || !profile.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(SaveError::BadProfileName(profile.to_string()));
    }
    // The file is written beside and renamed over: AWS_SHARED_CREDENTIALS_FILE=/dev/null (a common way to
    // ignore the file) would have the device replaced by a file holding the secret.
    if fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(SaveError::NotAFile { path: path.into() });
    }
    let existing = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io_err(path)(e)),
    };
    let block = format!(
        "[{profile}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        key.access_key_id,
        key.secret_access_key.expose()
    );
    let mut out = zeroize::Zeroizing::new(String::with_capacity(existing.len() + block.len() + 1));
    match section(&existing, profile) {
        Some(_) if !overwrite => {
            return Err(SaveError::ProfileExists { profile: profile.into(), path: path.into() });
        }
        Some((start, end)) => {
            out.push_str(&existing[..start]);
            out.push_str(&block);
            out.push_str(&existing[end..]);
        }
        None => {
            out.push_str(&existing);
            if !existing.is_empty() && !existing.ends_with('\n') {
                out.push('\n');
            }
            if !existing.is_empty() {
                out.push('\n');
            }
            out.push_str(&block);
        }
    }
    drop(zeroize::Zeroizing::new(block));
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let tmp = dir.join(format!(
        ".{}.pinpoint-iam-wizard.{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("credentials"),
        std::process::id()
    ));
    let write = || -> io::Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        f.write_all(out.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_err(path)(e)
    })
}

/// The CSV the IAM console offers for download: `Access key ID,Secret access key`.
pub fn csv(key: &NewAccessKey) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(format!(
        "Access key ID,Secret access key\n{},{}\n",
        key.access_key_id,
        key.secret_access_key.expose()
    ))
}

/// Write the console CSV, mode 0600; an existing file is never overwritten.
pub fn save_csv(path: &Path, key: &NewAccessKey) -> Result<(), SaveError> {
    let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            SaveError::FileExists { path: path.into() }
        } else {
            io_err(path)(e)
        }
    })?;
    f.write_all(csv(key).as_bytes()).and_then(|()| f.sync_all()).map_err(io_err(path))
}

/// The console's file name for a user's keys.
pub fn default_csv_name(user: &str) -> String {
    format!("{user}_accessKeys.csv")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use std::os::unix::fs::PermissionsExt;

    fn key() -> NewAccessKey {
        NewAccessKey {
            user_name: "PostmanUser".into(),
            access_key_id: "AKIAFAKE1".into(),
            secret_access_key: Secret::new("FAKEsecret/1+x".into()),
        }
    }

    const EXISTING: &str = "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = keep-me\n\n# a comment\n[other]  \nregion=eu-west-1\n";

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_credentials_path_that_is_a_pipe_or_device_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("credentials");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = save_profile(&fifo, "postman", &key(), true).unwrap_err();
        assert!(matches!(e, SaveError::NotAFile { .. }), "{e}");
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe is still a pipe");
    }

    #[test]
    fn adds_a_profile_keeping_every_other_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        fs::write(&path, EXISTING).unwrap();
        save_profile(&path, "pinpoint", &key(), false).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(EXISTING), "existing profiles kept byte for byte:\n{text}");
        assert!(
            text.ends_with("\n[pinpoint]\naws_access_key_id = AKIAFAKE1\naws_secret_access_key = FAKEsecret/1+x\n")
        );
        assert_eq!(mode(&path), 0o600);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }

    #[test]
    fn creates_the_file_and_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".aws/credentials");
        save_profile(&path, "p", &key(), false).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "[p]\naws_access_key_id = AKIAFAKE1\naws_secret_access_key = FAKEsecret/1+x\n"
        );
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn never_overwrites_a_profile_without_confirmation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        fs::write(&path, EXISTING).unwrap();
        assert!(profile_exists(&path, "other"));
        let e = save_profile(&path, "other", &key(), false).unwrap_err();
        assert!(matches!(e, SaveError::ProfileExists { .. }), "{e}");
        assert_eq!(fs::read_to_string(&path).unwrap(), EXISTING, "untouched");
        save_profile(&path, "default", &key(), true).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("[default]\naws_access_key_id = AKIAFAKE1\n"), "{text}");
        assert!(text.ends_with("# a comment\n[other]  \nregion=eu-west-1\n"), "{text}");
        assert!(!text.contains("keep-me"));
    }

    #[test]
    fn refuses_bad_profile_names() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(save_profile(&dir.path().join("c"), "a]b", &key(), false), Err(SaveError::BadProfileName(_))));
    }

    #[test]
    fn csv_in_the_console_format_mode_0600_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(default_csv_name("PostmanUser"));
        save_csv(&path, &key()).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "Access key ID,Secret access key\nAKIAFAKE1,FAKEsecret/1+x\n");
        assert_eq!(mode(&path), 0o600);
        assert!(matches!(save_csv(&path, &key()), Err(SaveError::FileExists { .. })));
        assert!(path.ends_with("PostmanUser_accessKeys.csv"));
    }
}
