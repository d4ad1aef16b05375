//! First start: the default project and its credentials.

use cv_api::hash_token;
use cv_domain::{ProjectId, Timestamp, ids::random_secret};
use cv_store::Store;

/// The name of the project created on first start.
pub const DEFAULT_PROJECT: &str = "default";

/// Credentials generated on first start, to be shown once.
#[derive(Debug, Clone)]
pub struct GeneratedCredentials {
    /// The new app id.
    pub app_id: String,
    /// The new app token (only its hash is stored).
    pub app_token: String,
}

/// Ensures the default project exists and has credentials: the configured pair if given
/// (stored hashed, replacing an older token for that id), else a generated pair when the
/// project has none. Returns the project and any generated pair.
pub async fn default_project(
    store: &dyn Store,
    app_id: Option<&str>,
    app_token: Option<&str>,
) -> anyhow::Result<(ProjectId, Option<GeneratedCredentials>)> {
    let now = Timestamp::now();
    let project = store.ensure_project(DEFAULT_PROJECT, now).await?;
    match (app_id, app_token) {
        (Some(id), Some(token)) => {
            store.put_credential(&project, id, &hash_token(token), now).await?;
            Ok((project, None))
        }
        (None, None) if store.count_credentials(&project).await? == 0 => {
            let generated = create_credentials(store, &project).await?;
            Ok((project, Some(generated)))
        }
        (None, None) => Ok((project, None)),
        _ => anyhow::bail!(
            "set both app_id and app_token (CONVEYOR_APP_ID, CONVEYOR_APP_TOKEN), or neither"
        ),
    }
}

/// Generates and stores a new credential pair for `project`.
pub async fn create_credentials(
    store: &dyn Store,
    project: &ProjectId,
) -> anyhow::Result<GeneratedCredentials> {
    let generated = GeneratedCredentials {
        app_id: format!("app_{}", random_secret(16)),
        app_token: random_secret(40),
    };
    store
        .put_credential(
            project,
            &generated.app_id,
            &hash_token(&generated.app_token),
            Timestamp::now(),
        )
        .await?;
    Ok(generated)
}
