//! The data keys of every instance: opened from the database with the master key at start,
//! generations added by a rotation picked up while running, and the background re-encryption
//! that moves every stored value to the newest generation, page by page, resumable (its cursor
//! is in the database) and safe with several instances running it at once (each update is
//! guarded by the value it replaces).

use crate::crypto::{DataKey, Keys, MasterKey, OpenError};
use crate::db::Db;
use crate::{AppState, Error, now};
use anyhow::{Context, anyhow, bail};
use std::path::Path;

/// Claims re-encrypted per pass.
const RESEAL_PAGE: u64 = 200;

fn wrong_master() -> anyhow::Error {
    anyhow!(
        "the master key does not match this database's key check value: every instance must be \
         given the master key that wrapped the data keys (--master-key-file or OIP_MASTER_KEY)"
    )
}

/// Opens the data keys, making the first one on a new database (from `legacy`, the key file of
/// earlier versions, when it exists, so that what they sealed still opens). Refuses a master
/// key whose check value is not the stored one.
pub async fn open(db: &Db, master: &MasterKey, legacy: &Path) -> anyhow::Result<Keys> {
    let check = master.check_value();
    same_profile(db, master.profile()).await?;
    if db.data_keys().await?.is_empty() {
        if db.key_check_value().await?.is_some_and(|c| c != check) {
            return Err(wrong_master());
        }
        let first = match std::fs::read(legacy) {
            Ok(bytes) => {
                let key: [u8; 64] = bytes
                    .try_into()
                    .map_err(|_| anyhow!("{}: a key file holds 64 bytes", legacy.display()))?;
                tracing::info!(file = %legacy.display(), "the key file of an earlier version becomes data key generation 1");
                DataKey(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => DataKey::generate(None),
            Err(e) => return Err(e).with_context(|| legacy.display().to_string()),
        };
        db.init_data_keys(&check, &master.wrap(1, &first), &now().to_string())
            .await?;
    }
    // Read back: another instance may have made them first.
    if db.key_check_value().await?.as_deref() != Some(check.as_str()) {
        return Err(wrong_master());
    }
    let mut generations = Vec::new();
    for row in db.data_keys().await? {
        let key = master
            .unwrap_key(row.generation, &row.wrapped)
            .ok_or_else(|| anyhow!("data key generation {} does not unwrap", row.generation))?;
        generations.push((row.generation, key));
    }
    Keys::new(master.profile(), &generations).ok_or_else(|| anyhow!("no data key"))
}

/// Refuses a profile other than the one the database was made under (its key check value
/// says which): SM4 cannot open what AES sealed, and the audit chain's hashes would not match.
pub async fn same_profile(db: &Db, profile: crate::crypto::Profile) -> anyhow::Result<()> {
    if let Some(stored) = db.key_check_value().await? {
        let made = crate::crypto::check_value_profile(&stored);
        if made != profile {
            bail!(
                "this database was made under crypto = \"{made}\" and cannot be used under \
                 crypto = \"{profile}\": start every instance with crypto = \"{made}\""
            );
        }
    }
    Ok(())
}

/// Adds the generations stored since this instance last looked.
pub async fn reload(state: &AppState) -> Result<(), Error> {
    for row in state.db.data_keys().await? {
        if state.keys.has_generation(row.generation) {
            continue;
        }
        match state.master.unwrap_key(row.generation, &row.wrapped) {
            Some(key) => {
                state.keys.add(row.generation, &key);
                tracing::info!(generation = row.generation, "data key generation loaded");
            }
            None => tracing::error!(
                generation = row.generation,
                "a data key does not unwrap with this instance's master key"
            ),
        }
    }
    Ok(())
}

/// A new data-key generation (`oip keys rotate --data`): new values are sealed under it as soon
/// as each instance has loaded it, and the stored ones are re-encrypted in the background.
pub async fn rotate_data(db: &Db, master: &MasterKey) -> anyhow::Result<i64> {
    open(db, master, Path::new("")).await?;
    let rows = db.data_keys().await?;
    let (first, next) = match (rows.first(), rows.last()) {
        (Some(f), Some(l)) => (f, l.generation + 1),
        _ => bail!("no data key to rotate"),
    };
    let carry = master
        .unwrap_key(first.generation, &first.wrapped)
        .ok_or_else(wrong_master)?;
    let key = DataKey::generate(Some(&carry));
    if !db
        .add_data_key(next, &master.wrap(next, &key), &now().to_string())
        .await?
    {
        bail!("another rotation made generation {next} at the same time; run it again if needed");
    }
    Ok(next)
}

/// Re-wraps every data key under a new master key (`oip keys rotate --new-master-key FILE`),
/// check value included, in one transaction. Instances must then be started with the new one.
pub async fn rotate_master(db: &Db, old: &MasterKey, new: &MasterKey) -> anyhow::Result<usize> {
    open(db, old, Path::new("")).await?;
    let mut wrapped = Vec::new();
    for row in db.data_keys().await? {
        let key = old
            .unwrap_key(row.generation, &row.wrapped)
            .ok_or_else(wrong_master)?;
        wrapped.push((row.generation, new.wrap(row.generation, &key)));
    }
    db.rewrap_data_keys(&new.check_value(), &wrapped).await?;
    Ok(wrapped.len())
}

/// The small tables of sealed values, resealed whole at the end of a pass.
enum Small {
    Webhook,
    Totp,
}

/// One page of re-encryption under the newest generation; the number of claims looked at (0
/// once everything is sealed under it).
pub(crate) async fn reseal_pass(state: &AppState) -> Result<usize, Error> {
    reload(state).await?;
    let current = state.keys.current_generation();
    let rows = state.db.data_keys().await?;
    let Some(row) = rows.iter().find(|r| r.generation == current) else {
        return Ok(0);
    };
    if row.resealed_at.is_some() {
        return Ok(0);
    }
    let cursor = row.reseal_cursor.clone().unwrap_or_default();
    let page = state.db.sealed_claims_after(&cursor, RESEAL_PAGE).await?;
    let mut done = 0;
    let Some((last, _)) = page.last() else {
        // The claims are done; the small tables (webhooks' secrets, users' TOTP secrets) go
        // whole.
        let webhooks = state.db.webhook_secrets().await?.into_iter();
        let totps = state.db.totp_secrets().await?.into_iter();
        let small = webhooks
            .map(|(k, v)| (Small::Webhook, k, v))
            .chain(totps.map(|(k, v)| (Small::Totp, k, v)));
        for (kind, key, sealed) in small {
            let context = match kind {
                Small::Webhook => webhook_context(&key),
                Small::Totp => totp_context(&key),
            };
            if Keys::generation_of(&sealed) != Some(current)
                && let Ok(plain) = state.open_sealed(&sealed, &context).await
            {
                let new = state.keys.seal(&plain, &context);
                match kind {
                    Small::Webhook => state.db.reseal_webhook(&key, &sealed, &new).await?,
                    Small::Totp => state.db.reseal_totp(&key, &sealed, &new).await?,
                }
                done += 1;
            }
        }
        state.db.resealed(current, &now().to_string()).await?;
        tracing::info!(
            generation = current,
            secrets = done,
            "re-encryption finished: everything stored is sealed under the newest data key"
        );
        return Ok(0);
    };
    for (id, sealed) in &page {
        if Keys::generation_of(sealed) == Some(current) {
            continue;
        }
        let context = claim_context(id);
        match state.open_sealed(sealed, &context).await {
            Ok(plain) => {
                let new = state.keys.seal(&plain, &context);
                state.db.reseal_claim(id, sealed, &new).await?;
                done += 1;
            }
            Err(_) => tracing::error!(claim = %id, "personal data does not decrypt; left as it is"),
        }
    }
    state.db.reseal_progress(current, last).await?;
    if done > 0 {
        tracing::debug!(generation = current, resealed = done, "re-encryption page");
    }
    Ok(page.len())
}

/// What a claim's sealed personal data is bound to.
pub fn claim_context(claim_id: &str) -> String {
    format!("claim:{claim_id}")
}

/// What a webhook's sealed secret is bound to.
pub fn webhook_context(platform: &str) -> String {
    format!("webhook:{platform}")
}

impl AppState {
    /// Opens a sealed value bound to `context`, loading a generation made since start when the
    /// value needs one.
    pub async fn open_sealed(&self, sealed: &str, context: &str) -> Result<Vec<u8>, Error> {
        match self.keys.open(sealed, context) {
            Ok(plain) => Ok(plain),
            Err(OpenError::UnknownGeneration(_)) => {
                reload(self).await?;
                self.keys
                    .open(sealed, context)
                    .map_err(|_| Error::internal("sealed data does not decrypt"))
            }
            Err(OpenError::Invalid) => Err(Error::internal("sealed data does not decrypt")),
        }
    }
}

/// What a user's sealed TOTP secret is bound to.
pub fn totp_context(user_id: &str) -> String {
    format!("totp:{user_id}")
}
