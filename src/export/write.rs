//! Putting an export on disk: nothing existing is overwritten without `force`, every file is written whole
//! (a temporary file, fsync'd, renamed over), 0644 for documents and templates, 0755 for the script.

use super::{ExportFile, ExportFormat};
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Why an export was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("--out {path}: it exists; pass --force to overwrite it")]
    Exists { path: PathBuf },
    #[error("--out {path}: it is a directory, and the {format} export is one file; name a file, e.g. {path}/{file}")]
    IsADirectory { path: PathBuf, format: &'static str, file: String },
    #[error("--out {path}: it is not a directory, and the {format} export is a directory of files")]
    NotADirectory { path: PathBuf, format: &'static str },
    #[error("--out {path}: its directory {parent} does not exist (a mistyped path is not created); create it first")]
    NoParent { path: PathBuf, parent: PathBuf },
    #[error("--out {path}: it is not a regular file or directory (a device, a pipe or a socket); name a file")]
    NotAFile { path: PathBuf },
    #[error("could not write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl WriteError {
    /// Whether the user's options were wrong (rather than the disk failing).
    pub fn is_usage(&self) -> bool {
        !matches!(self, WriteError::Io { .. })
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io { path: path.to_path_buf(), source }
}

/// Refuse, before anything is rendered or written, an `--out` that does not fit the format or would overwrite.
pub fn check_out(out: &Path, format: ExportFormat, suggested_file: &str, force: bool) -> Result<(), WriteError> {
    let meta = match fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A new file or directory, in a directory that must exist.
            return match out.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(parent) if !parent.is_dir() => {
                    Err(WriteError::NoParent { path: out.to_path_buf(), parent: parent.to_path_buf() })
                }
                _ => Ok(()),
            };
        }
        Err(e) => return Err(io(out)(e)),
    };
    let target = fs::metadata(out).unwrap_or(meta);
    // Files are written beside and renamed over: a device such as /dev/null would be replaced by a file.
    if !target.is_dir() && !target.is_file() {
        return Err(WriteError::NotAFile { path: out.to_path_buf() });
    }
    let is_dir = target.is_dir();
    if format.is_single_file() {
        if is_dir {
            return Err(WriteError::IsADirectory {
                path: out.to_path_buf(),
                format: format.as_str(),
                file: suggested_file.to_string(),
            });
        }
        if !force {
            return Err(WriteError::Exists { path: out.to_path_buf() });
        }
        return Ok(());
    }
    if !is_dir {
        return Err(WriteError::NotADirectory { path: out.to_path_buf(), format: format.as_str() });
    }
    // An empty directory holds nothing to overwrite.
    let empty = fs::read_dir(out).map_err(io(out))?.next().is_none();
    if !empty && !force {
        return Err(WriteError::Exists { path: out.to_path_buf() });
    }
    Ok(())
}

/// Write the files of an export: for a single-file format the one file at `out`, else each file under the
/// directory `out` (made if missing). Returns the paths written.
pub fn write(out: &Path, format: ExportFormat, files: &[ExportFile], force: bool) -> Result<Vec<PathBuf>, WriteError> {
    let suggested = files.first().map(|f| f.path.clone()).unwrap_or_default();
    check_out(out, format, &suggested, force)?;
    let mut written = Vec::new();
    if format.is_single_file() {
        for f in files {
            write_one(out, f)?;
            written.push(out.to_path_buf());
        }
        return Ok(written);
    }
    for f in files {
        let path = out.join(&f.path);
        write_one(&path, f)?;
        written.push(path);
    }
    Ok(written)
}

fn write_one(path: &Path, f: &ExportFile) -> Result<(), WriteError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.{:08x}.tmp", std::process::id(), fastrand::u32(..)));
    let result = (|| {
        let mut file = fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(f.contents.as_bytes())?;
        // The mode is set explicitly: the umask must not make the script unrunnable or a document private.
        file.set_permissions(fs::Permissions::from_mode(if f.executable { 0o755 } else { 0o644 }))?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        fs::File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_or_device_is_never_replaced_even_with_force() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // A pipe stands for /dev/null, which a failing test must not replace on the machine running it.
        for format in [ExportFormat::CloudFormation, ExportFormat::Cli] {
            let e = write(&fifo, format, &files(), true).unwrap_err();
            assert!(matches!(e, WriteError::NotAFile { .. }) && e.is_usage(), "{format:?}: {e}");
        }
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe is still a pipe");
    }

    fn files() -> Vec<ExportFile> {
        vec![
            ExportFile { path: "setup.sh".into(), contents: "#!/bin/sh\n".into(), executable: true },
            ExportFile { path: "documents/policies/P.json".into(), contents: "{}\n".into(), executable: false },
        ]
    }

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_directory_export_is_written_with_modes_and_never_overwritten_unasked() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("export");
        let written = write(&out, ExportFormat::Cli, &files(), false).unwrap();
        assert_eq!(written.len(), 2);
        assert_eq!(mode(&out.join("setup.sh")), 0o755);
        assert_eq!(mode(&out.join("documents/policies/P.json")), 0o644);
        let again = write(&out, ExportFormat::Cli, &files(), false).unwrap_err();
        assert!(matches!(again, WriteError::Exists { .. }) && again.is_usage(), "{again}");
        assert!(again.to_string().contains("--force"));
        fs::write(out.join("setup.sh"), "changed").unwrap();
        write(&out, ExportFormat::Cli, &files(), true).unwrap();
        assert_eq!(fs::read_to_string(out.join("setup.sh")).unwrap(), "#!/bin/sh\n");
        let leftovers: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        // An empty directory has nothing to overwrite.
        let empty = tmp.path().join("empty");
        fs::create_dir(&empty).unwrap();
        write(&empty, ExportFormat::Documents, &files(), false).unwrap();
    }

    #[test]
    fn a_template_is_one_file_and_not_a_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let one = vec![ExportFile { path: "t.yaml".into(), contents: "x: 1\n".into(), executable: false }];
        let e = write(tmp.path(), ExportFormat::CloudFormation, &one, true).unwrap_err();
        assert!(matches!(e, WriteError::IsADirectory { .. }), "{e}");
        assert!(e.to_string().contains("t.yaml"), "{e}");
        let file = tmp.path().join("t.yaml");
        write(&file, ExportFormat::CloudFormation, &one, false).unwrap();
        assert_eq!(mode(&file), 0o644);
        assert!(matches!(write(&file, ExportFormat::CloudFormation, &one, false), Err(WriteError::Exists { .. })));
        let e = write(&file, ExportFormat::Terraform, &one, true).unwrap_err();
        assert!(matches!(e, WriteError::NotADirectory { .. }), "{e}");
    }
}
