//! File system primitives: the keyring directory (0700), whole-file atomic creation that never
//! replaces an existing file (0600), bounded reads, deletion.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::error::KeyringError;
use crate::error::KeyError;

/// Key files are a few hundred bytes; anything above this is not one.
pub(crate) const MAX_KEY_FILE_LEN: u64 = 64 * 1024;

/// Whether `dir` exists; an error if it exists but is not a directory.
pub(crate) fn check_dir(dir: &Path) -> Result<bool, KeyringError> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(true),
        Ok(_) => Err(KeyringError::NotADirectory(dir.to_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(KeyringError::io(dir, e)),
    }
}

/// Creates `dir` (and missing parents) with mode 0700 if it does not exist. Returns whether it
/// was created. An existing directory keeps its permissions.
pub(crate) fn ensure_dir(dir: &Path) -> Result<bool, KeyringError> {
    if check_dir(dir)? {
        return Ok(false);
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| KeyringError::io(dir, e))?;
    // The mode above is filtered by the umask; set it exactly.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| KeyringError::io(dir, e))?;
    }
    Ok(true)
}

/// Reads a key file, at most [`MAX_KEY_FILE_LEN`] bytes, into a buffer zeroed on drop. `None`
/// if the file does not exist.
pub(crate) fn read_key_file(path: &Path) -> Result<Option<Zeroizing<Vec<u8>>>, KeyringError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(KeyringError::io(path, e)),
    };
    let meta = file.metadata().map_err(|e| KeyringError::io(path, e))?;
    if !meta.is_file() {
        return Err(KeyringError::corrupt(path, "not a regular file"));
    }
    if meta.len() > MAX_KEY_FILE_LEN {
        return Err(KeyringError::corrupt(
            path,
            format!("the file is {} bytes; key files are at most {MAX_KEY_FILE_LEN}", meta.len()),
        ));
    }
    // Sized up front (plus one byte to see growth) so the buffer is never reallocated, which
    // would leave an un-zeroed copy of the contents behind.
    let capacity = usize::try_from(MAX_KEY_FILE_LEN.min(meta.len() + 1)).unwrap_or(0);
    let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
    file.take(capacity as u64).read_to_end(&mut bytes).map_err(|e| KeyringError::io(path, e))?;
    if bytes.len() as u64 > meta.len() {
        return Err(KeyringError::corrupt(path, "the file changed while it was read"));
    }
    Ok(Some(bytes))
}

/// Makes `contents` durable as `dir/file_name`, all or nothing, never replacing an existing file.
///
/// The bytes go to a fresh temporary file in `dir` (a hidden name, created exclusively with mode
/// 0600), which is flushed to disk and then hard-linked to its final name: linking fails if the
/// name is taken, so two writers cannot overwrite each other (`ErrorKind::AlreadyExists`).
/// Where the file system has no hard links, it is renamed instead after checking the name is
/// free. Finally the directory itself is synced. On any failure the temporary file, and the
/// final file if it was already linked, are removed.
pub(crate) fn create_new_atomic(dir: &Path, file_name: &str, contents: &[u8]) -> io::Result<()> {
    let target = dir.join(file_name);
    let mut suffix = [0u8; 8];
    getrandom::getrandom(&mut suffix).map_err(|e| io::Error::other(KeyError::Randomness(e.to_string())))?;
    let temp = dir.join(format!(".{file_name}.{}.tmp", hex::encode(suffix)));

    let result = write_temp(&temp, contents).and_then(|()| link_no_clobber(&temp, &target));
    // After a successful link the temporary name is a second link to the key file; after a
    // rename or a failure before it, it may not exist. Either way it must go.
    let _ = fs::remove_file(&temp);
    let linked = result?;
    if let Err(e) = sync_dir(dir) {
        if linked {
            let _ = fs::remove_file(&target);
        }
        return Err(e);
    }
    Ok(())
}

fn write_temp(temp: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(temp)?;
    #[cfg(unix)]
    {
        // The creation mode is filtered by the umask; set it exactly.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(contents)?;
    file.sync_all()
}

/// Gives `temp` the name `target` unless `target` exists. Returns `true` once `target` exists.
fn link_no_clobber(temp: &Path, target: &Path) -> io::Result<bool> {
    match fs::hard_link(temp, target) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            // No hard links here (some network and FAT file systems): check, then rename.
            if fs::symlink_metadata(target).is_ok() {
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, "the key file exists"));
            }
            fs::rename(temp, target)?;
            Ok(true)
        }
    }
}

/// Flushes directory entries (creations, removals) to disk; a no-op where directories cannot be
/// opened as files.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Removes `path` and syncs its directory. `Ok(false)` if there was no such file.
pub(crate) fn remove(path: &Path) -> Result<bool, KeyringError> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(KeyringError::io(path, e)),
    }
    let dir = path.parent().map_or_else(|| PathBuf::from("."), Path::to_owned);
    sync_dir(&dir).map_err(|e| KeyringError::io(dir, e))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    #[test]
    fn creates_the_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        create_new_atomic(dir.path(), "a.key", b"contents").unwrap();
        assert_eq!(entries(dir.path()), ["a.key"]);
        assert_eq!(fs::read(dir.path().join("a.key")).unwrap(), b"contents");
    }

    #[test]
    fn an_existing_file_is_never_replaced_and_the_temporary_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.key"), b"old").unwrap();
        let err = create_new_atomic(dir.path(), "a.key", b"new").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(entries(dir.path()), ["a.key"]);
        assert_eq!(fs::read(dir.path().join("a.key")).unwrap(), b"old");

        // A directory or a dangling symlink of that name also blocks it.
        fs::create_dir(dir.path().join("b.key")).unwrap();
        assert_eq!(create_new_atomic(dir.path(), "b.key", b"new").unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("c.key")).unwrap();
            let err = create_new_atomic(dir.path(), "c.key", b"new").unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
            assert!(!dir.path().join("nowhere").exists());
        }
        let mut expected = vec!["a.key", "b.key"];
        if cfg!(unix) {
            expected.push("c.key");
        }
        assert_eq!(entries(dir.path()), expected);
    }

    #[test]
    fn a_missing_directory_is_an_error_not_a_creation() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        assert_eq!(create_new_atomic(&missing, "a.key", b"x").unwrap_err().kind(), io::ErrorKind::NotFound);
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn reads_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.key");
        fs::write(&path, vec![b' '; MAX_KEY_FILE_LEN as usize + 1]).unwrap();
        assert!(matches!(read_key_file(&path), Err(KeyringError::CorruptKeyFile { .. })));
        fs::write(&path, b"{}").unwrap();
        assert_eq!(read_key_file(&path).unwrap().unwrap().as_slice(), b"{}");
        assert!(read_key_file(&dir.path().join("absent.key")).unwrap().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn modes_are_exact_whatever_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("a/b/keys");
        assert!(ensure_dir(&keys).unwrap());
        assert!(!ensure_dir(&keys).unwrap());
        assert_eq!(fs::metadata(&keys).unwrap().permissions().mode() & 0o777, 0o700);
        create_new_atomic(&keys, "k.key", b"x").unwrap();
        assert_eq!(fs::metadata(keys.join("k.key")).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
