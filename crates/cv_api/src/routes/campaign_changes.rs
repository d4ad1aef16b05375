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
use cv_domain::campaign::DeleteCampaign;

use super::{Accepted, campaigns::find, enqueue};
use crate::{
    ApiError, AppState,
    auth::Project,
    extract::{JsonBody, QueryMap},
    wire::{action::AsyncActionCreated, campaign::CampaignResponse, campaign_update, schema},
};

/// `PUT /v1/campaigns/{id}`: updates the campaign at once and answers 200 with it; its
/// vouchers not yet redeemed follow through CAMPAIGN.VOUCHERS_UPDATE.
#[utoipa::path(
    put,
    path = "/v1/campaigns/{id}",
    tag = "campaigns",
    operation_id = "update_campaign",
    params(("id" = String, Path, description = "The campaign's id or name.")),
    request_body = schema::CampaignUpdateBody,
    responses(
        (status = 200, description = "The updated campaign; CAMPAIGN.VOUCHERS_UPDATE passes the changes on to its vouchers.", body = CampaignResponse),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
        (status = 404, description = "No such campaign.", body = schema::ErrorBody),
    )
)]
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
    let total = campaign.vouchers_count;
    let _accepted = enqueue(&state, &project.0, &changes, total).await?;
    Ok(Json(campaign.into()))
}

/// `DELETE /v1/campaigns/{id}`: `force` is `true` or `false` (default).
#[utoipa::path(
    delete,
    path = "/v1/campaigns/{id}",
    tag = "campaigns",
    operation_id = "delete_campaign",
    params(
        ("id" = String, Path, description = "The campaign's id or name."),
        ("force" = Option<bool>, Query, description = "`true` deletes for good and frees the name; `false` (default) moves the campaign and its vouchers to the bin."),
    ),
    responses(
        (status = 202, description = "CAMPAIGN.VOUCHERS_DELETE was enqueued; the campaign is hidden at once.", body = AsyncActionCreated),
        (status = 400, description = "`force` is neither `true` nor `false` (`invalid_query_params`).", body = schema::ErrorBody),
        (status = 404, description = "No such campaign.", body = schema::ErrorBody),
    )
)]
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
    enqueue(&state, &project.0, &payload, 0).await
}
