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
    #[error(
        "there is no credentials file to save to: HOME is not set and neither is AWS_SHARED_CREDENTIALS_FILE; set \
         one of them (a profile is never written under the working directory)"
    )]
    NoHome,
    #[error("{path} cannot be written ({why}): the key would be made and then not saved; {fix}")]
    NotWritable { path: PathBuf, why: String, fix: &'static str },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SaveError + '_ {
    move |source| SaveError::Io { path: path.to_path_buf(), source }
}

/// The shared credentials file: `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`; with neither a home
/// nor the variable there is none (never one under the working directory, where nobody would look for it).
pub fn credentials_path() -> Result<PathBuf, SaveError> {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    match (set("AWS_SHARED_CREDENTIALS_FILE"), set("HOME")) {
        (Some(file), _) => Ok(file),
        (None, Some(home)) => Ok(home.join(".aws").join("credentials")),
        (None, None) => Err(SaveError::NoHome),
    }
}

/// Where a write to `path` really lands: a symbolic link (a dotfiles repository's) is followed to its target,
/// so the file is replaced there and the link stays a link. A dangling link resolves to the file it names.
pub fn resolve_links(path: &Path) -> Result<PathBuf, SaveError> {
    let mut at = path.to_path_buf();
    // Linux's own limit on links followed in one lookup.
    for _ in 0..40 {
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&at).map_err(io_err(&at))?;
                let base = at.parent().unwrap_or(Path::new(""));
                at = base.join(target);
            }
            // Nothing there yet (or a file where a directory should be, which the directory check names).
            Ok(_) => return Ok(at),
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => return Ok(at),
            Err(e) => return Err(io_err(&at)(e)),
        }
    }
    Err(SaveError::NotWritable {
        path: path.into(),
        why: "too many levels of symbolic links".into(),
        fix: "point it at a file",
    })
}

/// The directory a file is written into (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Whether a new file can be made in `dir`: tried, not guessed from mode bits (root, ACLs and read-only mounts
/// all answer differently), with a probe that is removed at once.
fn probe_dir(dir: &Path) -> io::Result<()> {
    let probe = dir.join(format!("{TEMP_MARK}probe.{}.{:08x}", std::process::id(), fastrand::u32(..)));
    OpenOptions::new().write(true).create_new(true).mode(0o600).open(&probe)?;
    fs::remove_file(&probe)
}

/// The nearest directory that exists at or above `dir` (the one `create_dir_all` would start from).
fn existing_ancestor(dir: &Path) -> Result<&Path, SaveError> {
    for a in dir.ancestors().filter(|a| !a.as_os_str().is_empty()) {
        match fs::metadata(a) {
            Ok(m) if m.is_dir() => return Ok(a),
            Ok(_) => {
                return Err(SaveError::NotWritable {
                    path: dir.into(),
                    why: format!("{} is a file, not a directory", a.display()),
                    fix: "choose a path in a directory",
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(a)(e)),
        }
    }
    Ok(Path::new("."))
}

/// Before any key exists: saving this profile to `path` would succeed (the file readable and a regular file,
/// the profile new unless `overwrite`, a new file possible in the directory the write lands in).
pub fn check_profile_destination(path: &Path, profile: &str, overwrite: bool) -> Result<(), SaveError> {
    let (target, existing) = current(path, profile)?;
    remove_leftovers(parent_dir(&target));
    if !overwrite && section(&existing, profile).is_some() {
        return Err(SaveError::ProfileExists { profile: profile.into(), path: path.into() });
    }
    let dir = existing_ancestor(parent_dir(&target))?;
    probe_dir(dir).map_err(|e| SaveError::NotWritable {
        path: path.into(),
        why: format!("no new file can be made in {}: {e}", dir.display()),
        fix: "choose another file with AWS_SHARED_CREDENTIALS_FILE",
    })
}

/// Before any key exists: a CSV can be made at `path` (nothing there, not even a dangling link, and its
/// directory exists and takes a new file).
pub fn check_csv_destination(path: &Path) -> Result<(), SaveError> {
    if fs::symlink_metadata(path).is_ok() {
        return Err(SaveError::FileExists { path: path.into() });
    }
    let dir = parent_dir(path);
    remove_leftovers(dir);
    let unwritable =
        |why: String| SaveError::NotWritable { path: path.into(), why, fix: "choose another --save-csv path" };
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(unwritable(format!("{} is not a directory", dir.display()))),
        Err(e) => return Err(unwritable(format!("its directory {}: {e}", dir.display()))),
    }
    probe_dir(dir).map_err(|e| unwritable(format!("no new file can be made in {}: {e}", dir.display())))
}

/// The credentials file as it is now, for a profile of this name: where a write lands (through any link) and
/// the file's text (empty when there is none yet).
fn current(path: &Path, profile: &str) -> Result<(PathBuf, zeroize::Zeroizing<String>), SaveError> {
    if profile.is_empty() || !profile.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(SaveError::BadProfileName(profile.to_string()));
    }
    let target = resolve_links(path)?;
    // The file is written beside and renamed over: AWS_SHARED_CREDENTIALS_FILE=/dev/null (a common way to
    // ignore the file) would have the device replaced by a file holding the secret.
    if fs::metadata(&target).is_ok_and(|m| !m.is_file()) {
        return Err(SaveError::NotAFile { path: path.into() });
    }
    match read_wiped_on_drop(&target) {
        Ok(text) => Ok((target, text)),
        Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
            Ok((target, zeroize::Zeroizing::new(String::new())))
        }
        Err(e) => Err(io_err(path)(e)),
    }
}

/// The file's text in one buffer sized from its length, wiped when dropped: the file holds other profiles'
/// secrets, and a buffer that grew by reallocation would leave unwiped copies of them behind.
fn read_wiped_on_drop(path: &Path) -> io::Result<zeroize::Zeroizing<String>> {
    use std::io::Read;
    let mut f = fs::File::open(path)?;
    let len = f.metadata()?.len();
    let mut text = zeroize::Zeroizing::new(String::with_capacity(usize::try_from(len).unwrap_or(0) + 1));
    f.read_to_string(&mut text)?;
    Ok(text)
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

/// Add (or, with `overwrite`, replace) a profile; every other byte of the file is kept as it was.
/// Written to a temporary file beside it, mode 0600, then renamed over it (atomic on one filesystem). A
/// symbolic link is written through: the temporary file goes beside its target and replaces the target.
pub fn save_profile(path: &Path, profile: &str, key: &NewAccessKey, overwrite: bool) -> Result<(), SaveError> {
    let (target, existing) = current(path, profile)?;
    let block = profile_block(profile, key);
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
    drop(block);
    replace_file(&target, out.as_bytes()).map_err(io_err(path))
}

/// The profile's three lines, in a buffer sized before anything is written into it (no reallocation leaves a
/// copy of the secret) and wiped when dropped, on every path (the early return for an existing profile too).
fn profile_block(profile: &str, key: &NewAccessKey) -> zeroize::Zeroizing<String> {
    let secret = key.secret_access_key.expose();
    super::joined(&[
        "[",
        profile,
        "]\naws_access_key_id = ",
        &key.access_key_id,
        "\naws_secret_access_key = ",
        secret,
        "\n",
    ])
}

/// What this tool names its temporary files in a directory: `.{file}.pinpoint-iam-wizard.{pid}` beside the
/// file it replaces, and `.pinpoint-iam-wizard.probe.{pid}.{random}` for a writability probe.
const TEMP_MARK: &str = ".pinpoint-iam-wizard.";

fn temp_file(target: &Path) -> PathBuf {
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("credentials");
    parent_dir(target).join(format!(".{name}{TEMP_MARK}{}", std::process::id()))
}

/// The process id a temporary file of ours carries, if `name` is one.
fn temp_owner(name: &str) -> Option<u32> {
    let (_, rest) = name.split_once(TEMP_MARK)?;
    let pid = rest.strip_prefix("probe.").unwrap_or(rest);
    pid.split('.').next()?.parse().ok()
}

/// Whether the process that made a temporary file is gone (so the file is a crash's leftover, not a write in
/// progress in another run).
fn owner_gone(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else {
        return true;
    };
    pid.as_raw_nonzero().get() as u32 != std::process::id()
        && rustix::process::test_kill_process(pid) == Err(rustix::io::Errno::SRCH)
}

/// Remove what a run that crashed between creating a temporary file and renaming (or removing) it left in
/// `dir`: such a file may hold a whole credentials file, secrets included. Best effort: a file that cannot
/// be removed is left, and the save goes on.
pub fn remove_leftovers(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let leftover = name.to_str().and_then(temp_owner).is_some_and(owner_gone);
        if leftover && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Replace `target` with `bytes`, mode 0600: a temporary file in its directory, renamed over it, then the
/// directory synced so the rename survives a crash; the temporary file is removed on any failure.
fn replace_file(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_dir(target);
    fs::create_dir_all(dir)?;
    remove_leftovers(dir);
    let tmp = temp_file(target);
    let write = || -> io::Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, target)?;
        fs::set_permissions(target, fs::Permissions::from_mode(0o600))
    };
    write().inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })?;
    fs::File::open(dir)?.sync_all()
}

/// The CSV the IAM console offers for download: `Access key ID,Secret access key`.
pub fn csv(key: &NewAccessKey) -> zeroize::Zeroizing<String> {
    let secret = key.secret_access_key.expose();
    super::joined(&["Access key ID,Secret access key\n", &key.access_key_id, ",", secret, "\n"])
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
    // A write that fails half-way (a full disk) leaves no partial file that looks like a saved key.
    f.write_all(csv(key).as_bytes()).and_then(|()| f.sync_all()).map_err(|e| {
        let _ = fs::remove_file(path);
        io_err(path)(e)
    })
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
        assert!(matches!(check_profile_destination(&path, "other", false), Err(SaveError::ProfileExists { .. })));
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
    fn a_credentials_file_that_is_a_link_is_written_through_it() {
        let dotfiles = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let target = dotfiles.path().join("aws-credentials");
        fs::write(&target, EXISTING).unwrap();
        let link = home.path().join("credentials");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        check_profile_destination(&link, "pinpoint", false).unwrap();
        save_profile(&link, "pinpoint", &key(), false).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is still a link");
        assert_eq!(fs::read_link(&link).unwrap(), target);
        let text = fs::read_to_string(&target).unwrap();
        assert!(text.starts_with(EXISTING) && text.contains("aws_access_key_id = AKIAFAKE1"), "{text}");
        assert_eq!(mode(&target), 0o600);
        assert_eq!(fs::read_dir(dotfiles.path()).unwrap().count(), 1, "no temporary file left beside the target");
        assert_eq!(fs::read_dir(home.path()).unwrap().count(), 1, "nothing new beside the link");
    }

    #[test]
    fn a_dangling_link_is_written_through_to_the_file_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("credentials");
        std::os::unix::fs::symlink("real-credentials", &link).unwrap();
        check_profile_destination(&link, "p", false).unwrap();
        save_profile(&link, "p", &key(), false).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert!(fs::read_to_string(dir.path().join("real-credentials")).unwrap().starts_with("[p]\n"));
        // A link into a directory that cannot hold a file is refused before any key exists.
        let nowhere = dir.path().join("nowhere");
        fs::write(dir.path().join("a-file"), "").unwrap();
        std::os::unix::fs::symlink(dir.path().join("a-file/credentials"), &nowhere).unwrap();
        assert!(matches!(check_profile_destination(&nowhere, "p", false), Err(SaveError::NotWritable { .. })));
    }

    #[test]
    fn destinations_are_checked_before_any_key_exists() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        fs::write(&file, "").unwrap();
        // A directory that does not exist yet is made for the profile (~/.aws on a new machine), not for a CSV.
        check_profile_destination(&dir.path().join("new/.aws/credentials"), "p", false).unwrap();
        assert!(!dir.path().join("new").exists(), "the check made nothing");
        let csv_in_missing = dir.path().join("missing/keys.csv");
        assert!(matches!(check_csv_destination(&csv_in_missing), Err(SaveError::NotWritable { .. })));
        assert!(matches!(check_csv_destination(&file.join("keys.csv")), Err(SaveError::NotWritable { .. })));
        assert!(matches!(
            check_profile_destination(&file.join("credentials"), "p", false),
            Err(SaveError::NotWritable { .. })
        ));
        // A dangling link at the CSV path: create_new would refuse it after the key exists.
        let dangling = dir.path().join("dangling.csv");
        std::os::unix::fs::symlink("nowhere.csv", &dangling).unwrap();
        assert!(matches!(check_csv_destination(&dangling), Err(SaveError::FileExists { .. })));
        check_csv_destination(&dir.path().join("keys.csv")).unwrap();
        // sysfs takes no new file, not even from root: a directory nobody can write to.
        let e = check_csv_destination(Path::new("/sys/keys.csv")).unwrap_err();
        assert!(matches!(e, SaveError::NotWritable { .. }), "{e}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2, "no probe left behind");
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

    #[test]
    fn a_crashed_runs_temporary_files_are_removed_and_a_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let crashed = dir.path().join(format!(".credentials.pinpoint-iam-wizard.{dead}"));
        let probe = dir.path().join(format!(".pinpoint-iam-wizard.probe.{dead}.0badf00d"));
        // Process 1 is always there: its file is another run's write in progress.
        let live = dir.path().join(".credentials.pinpoint-iam-wizard.1");
        let unrelated = dir.path().join(".credentials.pinpoint-iam-wizard.notes");
        for f in [&crashed, &probe, &live, &unrelated] {
            fs::write(f, "[old]\naws_secret_access_key = LEFTOVER\n").unwrap();
        }
        save_profile(&dir.path().join("credentials"), "p", &key(), false).unwrap();
        assert!(!crashed.exists() && !probe.exists(), "a dead process's temporary files are removed");
        assert!(live.exists() && unrelated.exists(), "a live process's file and files not of this form are kept");
    }

    #[test]
    fn the_destination_check_already_removes_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let crashed = dir.path().join(format!(".credentials.pinpoint-iam-wizard.{dead}"));
        fs::write(&crashed, "secret").unwrap();
        check_profile_destination(&dir.path().join("credentials"), "p", false).unwrap();
        assert!(!crashed.exists());
    }

    #[test]
    fn text_with_a_secret_is_built_without_growing() {
        let text = crate::secret::joined(&["a", "bc", "", "def"]);
        assert_eq!(text.as_str(), "abcdef");
        assert_eq!(text.capacity(), 6, "exactly sized: no reallocation left a copy");
        let block = profile_block("p", &key());
        assert_eq!(block.len(), block.capacity());
        assert_eq!(block.as_str(), "[p]\naws_access_key_id = AKIAFAKE1\naws_secret_access_key = FAKEsecret/1+x\n");
    }
}
