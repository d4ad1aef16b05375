//! Campaigns: `POST /v1/campaigns` (with `vouchers_count` > 1 it starts
//! CAMPAIGN.VOUCHERS_GENERATE and answers 200 with the campaign IN_PROGRESS; otherwise the
//! campaign, and its one voucher, are made at once), `GET /v1/campaigns/{id or name}`,
//! `GET /v1/campaigns` (`limit` 1..100 default 10, `page`; newest first) and
//! `POST /v1/campaigns/{id}/vouchers?vouchers_count=N` (N > 1: 202 with the action id;
//! otherwise one voucher, 200).

use axum::{
    Extension, Json,
    extract::{Path, State},
    response::{IntoResponse, Response},
};
use cv_domain::{
    Campaign, ProjectId, Voucher,
    campaign::{GenerateVouchers, GenerationStatus, draw_codes},
};
use cv_store::StoreError;
use serde_json::Value;

use super::enqueue;
use crate::{
    ApiError, AppState,
    auth::Project,
    extract::{JsonBody, QueryMap},
    wire::{
        action::AsyncActionCreated,
        campaign::{self, CampaignList, CampaignResponse},
        campaign_vouchers, schema,
        validate::JsonPath,
        voucher::VoucherResponse,
    },
};

/// How many times a single voucher's code is redrawn when it collides.
const SINGLE_CODE_ATTEMPTS: usize = 16;

/// The campaign `id_or_name`, or 404 with resource type `campaign`.
pub(crate) async fn find(
    state: &AppState,
    project: &ProjectId,
    id_or_name: &str,
) -> Result<Campaign, ApiError> {
    state.store.get_campaign(project, id_or_name).await?.ok_or_else(|| ApiError::NotFound {
        resource_type: "campaign",
        resource_id: id_or_name.to_owned(),
    })
}

/// Makes one voucher of `generate` synchronously: `code` if given (400 `duplicate_key` when
/// it exists), else a fresh code from the template's `code_config`.
async fn one_voucher(
    state: &AppState,
    project: &ProjectId,
    generate: &GenerateVouchers,
    code: Option<String>,
) -> Result<Voucher, ApiError> {
    let store = &state.store;
    if let Some(code) = code {
        let written =
            store.import_vouchers(project, vec![generate.record(code)], false, state.now());
        return written
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::DuplicateKey("1 voucher codes(s) already exist.".to_owned()));
    }
    let invalid =
        |e: cv_domain::code_config::CodeConfigError| ApiError::InvalidPayload(e.to_string());
    let pattern = generate.template.code_config.validate().map_err(invalid)?;
    for _ in 0..SINGLE_CODE_ATTEMPTS {
        let Some(code) = draw_codes(&pattern, 1, |_| false).map_err(invalid)?.pop() else {
            break;
        };
        let written =
            store.import_vouchers(project, vec![generate.record(code)], false, state.now()).await?;
        if let Some(voucher) = written.into_iter().next() {
            return Ok(voucher);
        }
    }
    Err(ApiError::InvalidPayload(
        "could not find an unused code; code_config's codes are nearly used up".to_owned(),
    ))
}

/// `POST /v1/campaigns`.
#[utoipa::path(
    post,
    path = "/v1/campaigns",
    tag = "campaigns",
    operation_id = "create_campaign",
    request_body = schema::CampaignCreateBody,
    responses(
        (status = 200, description = "The campaign; with `vouchers_count` > 1 it is IN_PROGRESS while CAMPAIGN.VOUCHERS_GENERATE makes the vouchers.", body = CampaignResponse),
        (status = 400, description = "A malformed body (`invalid_payload`, `invalid_campaign`).", body = schema::ErrorBody),
        (status = 409, description = "A campaign of this name exists (`duplicate_found`).", body = schema::ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Json<CampaignResponse>, ApiError> {
    let campaign::CampaignCreate { mut campaign, vouchers_count } =
        campaign::create(&body, state.now())?;
    if vouchers_count > 1 {
        campaign.generation_status = GenerationStatus::InProgress;
    }
    match state.store.create_campaign(&project.0, &campaign).await {
        Err(StoreError::Conflict { .. }) => {
            return Err(ApiError::Duplicate(format!(
                "Duplicated campaign exists with name {}",
                campaign.name
            )));
        }
        other => other?,
    }
    let generate = GenerateVouchers {
        campaign_id: campaign.id.clone(),
        count: vouchers_count,
        template: campaign.voucher.clone(),
        category: None,
        metadata: Default::default(),
        additional_info: None,
        start_date: None,
        expiration_date: None,
    };
    if vouchers_count > 1 {
        let _accepted = enqueue(&state, &project.0, &generate, vouchers_count).await?;
    } else if vouchers_count == 1 {
        one_voucher(&state, &project.0, &generate, None).await?;
        campaign.vouchers_count = 1;
        state.store.update_campaign(&project.0, &campaign).await?;
    }
    Ok(Json(campaign.into()))
}

/// `GET /v1/campaigns/{id}` (id, or else name).
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}",
    tag = "campaigns",
    operation_id = "get_campaign",
    params(("id" = String, Path, description = "The campaign's id or name.")),
    responses(
        (status = 200, description = "The campaign.", body = CampaignResponse),
        (status = 404, description = "No such campaign.", body = schema::ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
) -> Result<Json<CampaignResponse>, ApiError> {
    Ok(Json(find(&state, &project.0, &id).await?.into()))
}

/// `GET /v1/campaigns`.
#[utoipa::path(
    get,
    path = "/v1/campaigns",
    tag = "campaigns",
    operation_id = "list_campaigns",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 10)."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99, description = "Page number (default 1)."),
    ),
    responses(
        (status = 200, description = "The project's campaigns, newest first.", body = CampaignList),
        (status = 400, description = "A malformed parameter (`invalid_query_params`).", body = schema::ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    query: QueryMap,
) -> Result<Json<CampaignList>, ApiError> {
    let limit = query.int("limit", 1, 100, 10)?;
    let page = query.int("page", 1, 99, 1)?;
    Ok(Json(state.store.list_campaigns(&project.0, limit, page).await?.into()))
}

/// `POST /v1/campaigns/{id}/vouchers?vouchers_count=N`.
#[utoipa::path(
    post,
    path = "/v1/campaigns/{id}/vouchers",
    tag = "campaigns",
    operation_id = "add_campaign_vouchers",
    params(
        ("id" = String, Path, description = "The campaign's id or name."),
        ("vouchers_count" = Option<u64>, Query, minimum = 0, maximum = 100000, description = "How many vouchers (default 1); more than 1 starts CAMPAIGN.VOUCHERS_GENERATE."),
    ),
    request_body = schema::AddVouchersBody,
    responses(
        (status = 200, description = "One voucher, made at once.", body = VoucherResponse),
        (status = 202, description = "CAMPAIGN.VOUCHERS_GENERATE was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "A malformed body or parameter, or a code that exists (`duplicate_key`).", body = schema::ErrorBody),
        (status = 404, description = "No such campaign.", body = schema::ErrorBody),
    )
)]
pub async fn add_vouchers(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
    query: QueryMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let count = match query.0.get("vouchers_count") {
        None => 1,
        Some(raw) => {
            let n: u64 = raw.trim().parse().map_err(|_| {
                ApiError::InvalidQueryParams("Property .vouchers_count should be integer".into())
            })?;
            campaign::vouchers_count(
                Some(&Value::from(n)),
                &JsonPath::root().key("vouchers_count"),
            )?
        }
    };
    let campaign = find(&state, &project.0, &id).await?;
    let add = campaign_vouchers::add(&body, &campaign, count)?;
    if count > 1 {
        if add.code.is_some() {
            return Err(ApiError::InvalidPayload(
                "code can be given only when adding a single voucher".to_owned(),
            ));
        }
        return Ok(enqueue(&state, &project.0, &add.generate, count).await?.into_response());
    }
    let voucher = one_voucher(&state, &project.0, &add.generate, add.code).await?;
    let mut campaign = campaign;
    campaign.vouchers_count += 1;
    campaign.updated_at = Some(state.now());
    state.store.update_campaign(&project.0, &campaign).await?;
    Ok(Json(VoucherResponse::from(voucher)).into_response())
}
