//! Campaign changes: `PUT /v1/campaigns/{id or name}` (answers 200 with the updated
//! campaign and starts CAMPAIGN.VOUCHERS_UPDATE, found through the list) and
//! `DELETE /v1/campaigns/{id or name}?force=true|false` (CAMPAIGN.VOUCHERS_DELETE, 202 with
//! the action id). The campaign is found by id or name
//! (404 `not_found`, resource type `campaign`) and moved to the bin at once, so it disappears
//! from every read and no producer can add to it; the action then deletes its vouchers
//! (see `cv_actions`' `campaign_vouchers_delete`).

use axum::{
    Extension, Json,
    extract::{Path, State},
};
use cv_domain::{ActionKind, campaign::DeleteCampaign};

use super::{Accepted, campaigns::find, enqueue};
use crate::{
    ApiError, AppState,
    auth::Project,
    extract::{JsonBody, QueryMap},
    wire::{campaign::CampaignResponse, campaign_update},
};

/// `PUT /v1/campaigns/{id}`: updates the campaign at once and answers 200 with it; its
/// vouchers not yet redeemed follow through CAMPAIGN.VOUCHERS_UPDATE.
pub async fn update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<CampaignResponse>, ApiError> {
    let mut campaign = find(&state, &project.0, &id).await?;
    let changes = campaign_update::apply(&body, &mut campaign)?;
    campaign.updated_at = Some(state.now());
    if !state.store.update_campaign(&project.0, &campaign).await? {
        return Err(ApiError::NotFound { resource_type: "campaign", resource_id: id });
    }
    let kind = ActionKind::CampaignVouchersUpdate;
    let total = campaign.vouchers_count;
    let _accepted = enqueue(&state, &project.0, kind, &changes, total).await?;
    Ok(Json(campaign.into()))
}

/// `DELETE /v1/campaigns/{id}`: `force` is `true` or `false` (default).
pub async fn delete(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
    query: QueryMap,
) -> Result<Accepted, ApiError> {
    let force = match query.0.get("force").map(|s| s.trim()) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::InvalidQueryParams(
                "Property .force should be boolean".to_owned(),
            ));
        }
    };
    let campaign = find(&state, &project.0, &id).await?;
    if !state.store.bin_campaign(&project.0, &campaign.id).await? {
        return Err(ApiError::NotFound { resource_type: "campaign", resource_id: id });
    }
    let payload = DeleteCampaign { campaign_id: campaign.id, force };
    enqueue(&state, &project.0, ActionKind::CampaignVouchersDelete, &payload, 0).await
}
