//! `CAMPAIGN.VOUCHERS_GENERATE`: make N vouchers of a campaign from its template and
//! `code_config` (`POST /v1/campaigns` with `vouchers_count` > 1, and
//! `POST /v1/campaigns/{id}/vouchers?vouchers_count=N` with N > 1). Result family B:
//! `{"message":"Generated N vouchers.","done_count":N}`.
//!
//! Before anything is drawn, [`cv_domain::code_config::CodePattern::can_hold`] is asked whether
//! the pattern has room for the remaining vouchers beside every voucher the project already
//! has (conservative: all of them, not only those the pattern `matches`); when it has not,
//! the action ends FAILED with the reason.
//!
//! Crash safety. Codes are drawn at random in [`ActionRun::chunk`] (outside the store
//! transaction), checked against the store and against the chunk, and redrawn on collision.
//! A chunk is therefore *not* deterministic, and it does not need to be: the engine commits a
//! chunk's vouchers and the cursor move in one fenced transaction, so a chunk is either fully
//! written and never recomputed (the cursor moved past it) or not written at all, and a
//! recomputed chunk simply draws other codes. This was chosen over deriving codes inside the
//! store transaction because it keeps generation (randomness, the pattern) out of both
//! backends and uses the same `VoucherImport` chunk item as the voucher imports. A code that a
//! concurrent writer takes between the check and the commit fails its item as a duplicate
//! (reported, counted in `failed_count`) rather than the whole chunk.
//!
//! When every chunk is done, [`ActionRun::result`] sets the campaign's `vouchers_count` to
//! the number of vouchers it now holds and its generation status to DONE (idempotent, so a
//! repeated result step is harmless). Each chunk first checks the campaign still exists (not
//! deleted, not in the bin); a campaign deleted mid-run ends the action FAILED with "The
//! campaign was deleted.". A campaign that vanished ends the action FAILED; a
//! pattern without room marks the campaign's generation status FAILED too.

use std::{collections::HashSet, sync::Arc};

use async_trait::async_trait;
use cv_domain::{
    campaign::{GenerateVouchers, GenerationStatus, draw_codes},
    code_config::CodePattern,
};
use cv_engine::{ActionError, ActionRun};
use cv_store::{ActionRecord, ChunkItem, ReportMode, Store};
use serde_json::{Value, json};

/// How many rounds of redrawing collided codes a chunk gets before the action gives up.
const MAX_ROUNDS: usize = 64;

pub(crate) struct Run {
    payload: GenerateVouchers,
    pattern: CodePattern,
    action: ActionRecord,
    store: Arc<dyn Store>,
}

/// The campaign was deleted (or binned) while the action ran.
fn deleted() -> ActionError {
    ActionError::Fatal("The campaign was deleted.".to_owned())
}

fn not_found(campaign_id: &str) -> ActionError {
    ActionError::Fatal(format!("Cannot find campaign with id {campaign_id}"))
}

impl Run {
    /// Checks the campaign exists and the pattern has room for what is left to generate.
    pub async fn start(
        action: &ActionRecord,
        payload: GenerateVouchers,
        store: Arc<dyn Store>,
    ) -> Result<Self, ActionError> {
        let project = &action.project_id;
        let Some(mut campaign) = store.get_campaign(project, &payload.campaign_id).await? else {
            // The API stored the campaign before the action, so it was deleted since.
            return Err(deleted());
        };
        let pattern = payload
            .template
            .code_config
            .validate()
            .map_err(|e| ActionError::Fatal(e.to_string()))?;
        let existing = store.list_vouchers(project, None, 1, 1).await?.total;
        let wanted = payload.count.saturating_sub(action.cursor);
        if !pattern.can_hold(existing, wanted) {
            let reason = cv_domain::code_config::CodeConfigError::SpaceTooSmall {
                space: pattern.space(),
                existing,
                wanted,
            };
            campaign.generation_status = GenerationStatus::Failed;
            store.update_campaign(project, &campaign).await?;
            return Err(ActionError::Fatal(reason.to_string()));
        }
        Ok(Self { payload, pattern, action: action.clone(), store })
    }

    /// `n` codes, distinct, none of them in the store.
    async fn codes(&self, n: usize) -> Result<Vec<String>, ActionError> {
        let fatal = |e: cv_domain::code_config::CodeConfigError| ActionError::Fatal(e.to_string());
        let mut chosen: HashSet<String> = HashSet::with_capacity(n);
        let mut taken: HashSet<String> = HashSet::new();
        for _ in 0..MAX_ROUNDS {
            let missing = n - chosen.len();
            if missing == 0 {
                break;
            }
            let drawn =
                draw_codes(&self.pattern, missing, |c| chosen.contains(c) || taken.contains(c))
                    .map_err(fatal)?;
            let existing =
                self.store.existing_voucher_codes(&self.action.project_id, &drawn).await?;
            let existing: HashSet<String> = existing.into_iter().collect();
            for code in drawn {
                if existing.contains(&code) {
                    taken.insert(code);
                } else {
                    chosen.insert(code);
                }
            }
        }
        if chosen.len() < n {
            return Err(ActionError::Fatal(format!(
                "could not find {n} unused codes; code_config's codes are nearly used up"
            )));
        }
        let mut codes: Vec<String> = chosen.into_iter().collect();
        codes.sort_unstable();
        Ok(codes)
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<Vec<ChunkItem>, ActionError> {
        let left = self.payload.count.saturating_sub(cursor);
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(max);
        if n == 0 {
            return Ok(Vec::new());
        }
        let project = &self.action.project_id;
        if self.store.get_campaign(project, &self.payload.campaign_id).await?.is_none() {
            return Err(deleted());
        }
        Ok(self
            .codes(n)
            .await?
            .into_iter()
            .map(|code| ChunkItem::VoucherImport {
                record: self.payload.record(code),
                update: false,
            })
            .collect())
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    async fn result(
        &mut self,
        store: &dyn Store,
        action: &ActionRecord,
    ) -> Result<Value, ActionError> {
        let project = &action.project_id;
        let id = &self.payload.campaign_id;
        let mut campaign = store.get_campaign(project, id).await?.ok_or_else(|| not_found(id))?;
        campaign.vouchers_count = store.list_vouchers(project, Some(id), 1, 1).await?.total;
        campaign.generation_status = GenerationStatus::Done;
        campaign.updated_at = Some(action.updated_at);
        if !store.update_campaign(project, &campaign).await? {
            return Err(not_found(id));
        }
        Ok(json!({
            "message": format!("Generated {} vouchers.", action.done_count),
            "done_count": action.done_count,
        }))
    }
}
