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
//! backends and uses the same `VoucherWrites::Import` writes as the voucher imports. A code that a
//! concurrent writer takes between the check and the commit fails its item as a duplicate
//! (reported, counted in `failed_count`) rather than the whole chunk.
//!
//! The action's finish sets the campaign's `vouchers_count` to the number of vouchers it now
//! holds and its generation status to DONE ([`FinishEffect::RecountCampaign`]), in the
//! transaction that ends the action, so a crash between the last chunk and the finish leaves
//! both to the next claim. Each chunk first checks the campaign still exists (not deleted, not
//! in the bin); a campaign deleted mid-run ends the action FAILED with "The campaign was
//! deleted.". A pattern without room ends the action FAILED and, in the same finish, marks the
//! campaign's generation status FAILED.

use std::{collections::HashSet, sync::Arc};

use async_trait::async_trait;
use cv_domain::{
    ActionResult, ProjectId,
    campaign::{GenerateVouchers, draw_codes},
    code_config::CodePattern,
};
use cv_engine::{ActionError, ActionRun, Finish};
use cv_store::{ActionRecord, ChunkWrites, FinishEffect, Inputs, Item, ReportMode, VoucherWrites};

use crate::{Action, Start};

/// How many rounds of redrawing collided codes a chunk gets before the action gives up.
const MAX_ROUNDS: usize = 64;

pub(crate) struct Run {
    payload: GenerateVouchers,
    pattern: CodePattern,
    project: ProjectId,
    inputs: Arc<dyn Inputs>,
    /// Why the pattern cannot make the vouchers, found at start: the run then writes nothing
    /// and finishes FAILED.
    refusal: Option<String>,
}

/// The campaign was deleted (or binned) while the action ran.
fn deleted() -> ActionError {
    ActionError::Fatal("The campaign was deleted.".to_owned())
}

fn not_found(campaign_id: &str) -> ActionError {
    ActionError::Fatal(format!("Cannot find campaign with id {campaign_id}"))
}

#[async_trait]
impl Action for Run {
    type Payload = GenerateVouchers;

    /// Checks the campaign exists and the pattern has room for what is left to generate.
    async fn start(start: Start<'_>, payload: GenerateVouchers) -> Result<Self, ActionError> {
        let (action, inputs) = (start.action, start.inputs);
        let project = action.project_id.clone();
        if inputs.campaign(&project, &payload.campaign_id).await?.is_none() {
            // The API stored the campaign before the action, so it was deleted since.
            return Err(deleted());
        }
        let pattern = payload
            .template
            .code_config
            .validate()
            .map_err(|e| ActionError::Fatal(e.to_string()))?;
        let existing = inputs.voucher_count(&project).await?;
        let wanted = payload.count.saturating_sub(action.cursor);
        let refusal = (!pattern.can_hold(existing, wanted)).then(|| {
            let space = pattern.space();
            cv_domain::code_config::CodeConfigError::SpaceTooSmall { space, existing, wanted }
                .to_string()
        });
        Ok(Self { payload, pattern, project, inputs, refusal })
    }
}

impl Run {
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
            let existing = self.inputs.taken_codes(&self.project, &drawn).await?;
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
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<ChunkWrites, ActionError> {
        let left = self.payload.count.saturating_sub(cursor);
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(max);
        let mut items = Vec::new();
        if n > 0 && self.refusal.is_none() {
            if self.inputs.campaign(&self.project, &self.payload.campaign_id).await?.is_none() {
                return Err(deleted());
            }
            let codes = self.codes(n).await?;
            items = codes.into_iter().map(|code| Item::Write(self.payload.record(code))).collect();
        }
        Ok(ChunkWrites::Vouchers(VoucherWrites::Import { update: false, items }))
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    async fn finish(
        &mut self,
        inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError> {
        let id = &self.payload.campaign_id;
        let effect =
            Some(FinishEffect::RecountCampaign { campaign_id: id.clone(), generation: true });
        if let Some(reason) = &self.refusal {
            let result = ActionResult::failure("action_failed", reason.clone());
            return Ok(Finish { result, effect });
        }
        if inputs.campaign(&action.project_id, id).await?.is_none() {
            return Err(not_found(id));
        }
        let n = action.done_count;
        let result = ActionResult::count(format!("Generated {n} vouchers."), n);
        Ok(Finish { result, effect })
    }
}
