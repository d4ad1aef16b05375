//! Cutting action-list pages so that Voucherify's `end_date` cursor never skips an action.
//!
//! Clients page by sending the `created_at` of the last item they saw as `end_date`, and the
//! server returns actions created strictly before it. If a page ended in the middle of a group
//! of actions sharing one `created_at`, the rest of that group would be skipped. So a page
//! never splits such a group: it stops before the group (returning fewer than `limit` items),
//! or, when one group is larger than the whole page, returns the whole group.
//!
//! The extra filters (`status`, `type`; Conveyor's, never sent by Voucherify's clients) narrow
//! every query of a page alike, groups included, so the same rule holds for filtered lists.

use cv_domain::{ActionKind, ActionStatus, ProjectId, Timestamp};

use crate::{ActionReads, ActionRecord, StoreError};

/// Which actions a list shows; the default shows all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ActionFilter {
    /// Only actions with this status.
    pub status: Option<ActionStatus>,
    /// Only actions of this type.
    pub kind: Option<ActionKind>,
}

impl ActionFilter {
    /// The filter's values as query parameters, in the order [`crate::sql::actions_before`]
    /// and [`crate::sql::actions_at`] number them (status, then type; absent ones left out).
    pub fn values(&self) -> Vec<&'static str> {
        self.status
            .map(ActionStatus::as_str)
            .into_iter()
            .chain(self.kind.map(ActionKind::as_str))
            .collect()
    }
}

/// One page of the action list.
#[derive(Debug, Clone)]
pub struct ActionPage {
    /// Newest first.
    pub actions: Vec<ActionRecord>,
    /// Whether older actions remain.
    pub has_more: bool,
}

/// Paging over [`ActionReads::list_actions_before`], for every store that reads actions.
#[async_trait::async_trait]
pub trait ActionPages: ActionReads {
    /// The page of `project`'s actions created before `end_date`, at most `limit` long
    /// unless a single `created_at` group is larger (see the module docs). Its records carry
    /// no `result`.
    async fn list_actions(
        &self,
        project: &ProjectId,
        end_date: Option<Timestamp>,
        limit: u32,
    ) -> Result<ActionPage, StoreError> {
        self.list_actions_filtered(project, &ActionFilter::default(), end_date, limit).await
    }

    /// [`list_actions`](Self::list_actions) of only the actions `filter` lets through.
    async fn list_actions_filtered(
        &self,
        project: &ProjectId,
        filter: &ActionFilter,
        end_date: Option<Timestamp>,
        limit: u32,
    ) -> Result<ActionPage, StoreError> {
        let limit = limit.max(1);
        let mut rows = self.list_actions_before(project, filter, end_date, limit + 1).await?;
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
        let group = self.list_actions_at(project, filter, boundary).await?;
        let has_more =
            !self.list_actions_before(project, filter, Some(boundary), 1).await?.is_empty();
        Ok(ActionPage { actions: group, has_more })
    }
}

impl<S: ActionReads + ?Sized> ActionPages for S {}
