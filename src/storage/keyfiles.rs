//! Private keys on disk: one PKCS#8 PEM file per key, `<kid>.pem`, mode 0600, written atomically.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The keys directory.
#[derive(Debug, Clone)]
pub struct KeyFiles {
    dir: PathBuf,
}

impl KeyFiles {
    /// Uses `dir`, creating it (mode 0700) if needed.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        fs::create_dir_all(dir).with_context(|| format!("creating keys dir {}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting keys dir {}", dir.display()))?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every `*.pem` file's DER contents, with its path. Files that are not PEM are an error:
    /// a key the operator put there and the dealer silently skipped would be a surprise.
    pub fn load_all(&self) -> anyhow::Result<Vec<(PathBuf, String, Vec<u8>)>> {
        let mut out = Vec::new();
        for entry in
            fs::read_dir(&self.dir).with_context(|| format!("listing {}", self.dir.display()))?
        {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "pem") {
                let text = fs::read(&path)
                    .with_context(|| format!("reading key file {}", path.display()))?;
                let block = pem::parse(&text)
                    .with_context(|| format!("parsing PEM in {}", path.display()))?;
                let tag = block.tag().to_owned();
                out.push((path, tag, block.into_contents()));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Writes a PKCS#8 private key as `<kid>.pem` with mode 0600: temp file, fsync, rename.
    pub fn write(&self, kid: &str, pkcs8_der: &[u8]) -> anyhow::Result<PathBuf> {
        let path = self.dir.join(format!("{kid}.pem"));
        let tmp = self.dir.join(format!(".{kid}.pem.tmp"));
        let text = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8_der.to_vec()));
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("creating {}", tmp.display()))?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, &path).with_context(|| format!("moving key into {}", path.display()))?;
        fs::File::open(&self.dir)?.sync_all()?;
        Ok(path)
    }

    /// Deletes a retired key's file; a file already gone is fine.
    pub fn remove(&self, kid: &str) -> anyhow::Result<()> {
        let path = self.dir.join(format!("{kid}.pem"));
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("removing {}", path.display()))
            }
            _ => Ok(()),
        }
    }
}
