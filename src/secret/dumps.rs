//! No core dump and no same-user debugger while a secret may be in memory: the first thing the process does,
//! in every mode (the wizard, a headless command, the clipboard keeper).

/// Make this process non-dumpable (no core file, and no `ptrace` attach by the same user without
/// `CAP_SYS_PTRACE`) and set its core size limit to zero, so neither a crash nor SIGQUIT writes the secret
/// to disk (systemd-coredump included). `PR_SET_DUMPABLE` is Linux's; elsewhere the core limit alone is set
/// (macOS and the BSDs have no per-process equivalent that rustix wraps).
pub fn forbid() -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, setrlimit};
    #[cfg(any(target_os = "linux", target_os = "android"))]
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)?;
    setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: Some(0) })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_process_is_not_dumpable_and_writes_no_core() {
        super::forbid().unwrap();
        #[cfg(target_os = "linux")]
        assert_eq!(rustix::process::dumpable_behavior().unwrap(), rustix::process::DumpableBehavior::NotDumpable);
        let core = rustix::process::getrlimit(rustix::process::Resource::Core);
        assert_eq!((core.current, core.maximum), (Some(0), Some(0)));
    }
}
