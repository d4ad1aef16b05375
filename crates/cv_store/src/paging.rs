//! Cutting action-list pages so that Voucherify's `end_date` cursor never skips an action.
//!
//! Clients page by sending the `created_at` of the last item they saw as `end_date`, and the
//! server returns actions created strictly before it. If a page ended in the middle of a group
//! of actions sharing one `created_at`, the rest of that group would be skipped. So a page
//! never splits such a group: it stops before the group (returning fewer than `limit` items),
//! or, when one group is larger than the whole page, returns the whole group.

use cv_domain::{ProjectId, Timestamp};

use crate::{ActionRecord, Store, StoreError};

/// One page of the action list.
#[derive(Debug, Clone)]
pub struct ActionPage {
    /// Newest first.
    pub actions: Vec<ActionRecord>,
    /// Whether older actions remain.
    pub has_more: bool,
}

impl dyn Store {
    /// The page of `project`'s actions created before `end_date`, at most `limit` long
    /// unless a single `created_at` group is larger (see the module docs). Its records carry
    /// no `result`.
    pub async fn list_actions(
        &self,
        project: &ProjectId,
        end_date: Option<Timestamp>,
        limit: u32,
    ) -> Result<ActionPage, StoreError> {
        let limit = limit.max(1);
        let mut rows = self.list_actions_before(project, end_date, limit + 1).await?;
        let limit = limit as usize;
        if rows.len() <= limit {
            return Ok(ActionPage { actions: rows, has_more: false });
        }
        let boundary = rows[limit].created_at;
        if rows[limit - 1].created_at != boundary {
            rows.truncate(limit);
            return Ok(ActionPage { actions: rows, has_more: true });
        }
        let keep = rows.iter().take_while(|a| a.created_at != boundary).count();
        if keep > 0 {
            rows.truncate(keep);
            return Ok(ActionPage { actions: rows, has_more: true });
        }
        let group = self.list_actions_at(project, boundary).await?;
        let has_more = !self.list_actions_before(project, Some(boundary), 1).await?.is_empty();
        Ok(ActionPage { actions: group, has_more })
    }
}
