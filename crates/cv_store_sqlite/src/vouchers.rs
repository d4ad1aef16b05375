//! Vouchers on SQLite: the chunk writes of the voucher actions and
//! `impl VoucherStore for SqliteStore`. The single writer connection serialises chunks, so
//! reading a chunk's vouchers and writing the planned ones cannot race.

use async_trait::async_trait;
use cv_domain::{ProjectId, Timestamp, Voucher, VoucherRecord};
use cv_store::{
    Fence, Item, ReportLine, StoreError, VoucherPage, VoucherStore, VoucherWrites,
    plan::vouchers::{self as plan, VoucherPlan},
    sql::{self as q, vouchers as qv},
};
use rusqlite::{Row, Transaction, params};

use crate::convert::Cached as _;
use crate::{
    SqliteStore,
    convert::{self, error, select_by_keys, sql},
};

/// `?1` project, `?2` a JSON array of codes.
const SELECT_VOUCHERS_BY_CODE: &str = "SELECT body FROM vouchers \
     WHERE project_id = ?1 AND code IN (SELECT value FROM json_each(?2))";

/// `?1` project, `?2` a JSON array of codes.
const SELECT_CODES: &str = "SELECT code FROM vouchers \
     WHERE project_id = ?1 AND code IN (SELECT value FROM json_each(?2)) ORDER BY code";

/// Decodes a `body` column.
fn voucher(row: &Row<'_>) -> rusqlite::Result<Voucher> {
    convert::body(row)
}

/// Writes the items of a voucher chunk and returns one report line per item. Items that
/// planning refused move from the done to the failed count the fence added.
pub fn commit_items(
    tx: &Transaction<'_>,
    fence: &Fence,
    project: &str,
    writes: VoucherWrites,
    first_line: u64,
    now: Timestamp,
) -> Result<Vec<ReportLine>, StoreError> {
    let plan = apply_voucher_items(tx, project, writes, first_line, now)?;
    if plan.rejected > 0 {
        tx.exec(&sql(q::MOVE_DONE_TO_FAILED), params![fence.action_id.as_str(), plan.rejected])
            .map_err(error)?;
    }
    Ok(plan.lines)
}

/// Reads the vouchers a chunk names, plans the chunk and writes the planned rows.
fn apply_voucher_items(
    tx: &Transaction<'_>,
    project: &str,
    writes: VoucherWrites,
    first_line: u64,
    now: Timestamp,
) -> Result<VoucherPlan, StoreError> {
    let codes = plan::voucher_codes(&writes);
    let existing = select_by_keys(tx, SELECT_VOUCHERS_BY_CODE, project, &[&codes], voucher)?;
    let plan = plan::plan_vouchers(existing, writes, first_line, now);
    let mut stmt = tx.prepare_cached(&sql(qv::UPSERT_VOUCHER)).map_err(error)?;
    for v in &plan.rows {
        stmt.execute(params![
            v.id.as_str(),
            project,
            v.code,
            v.campaign_id,
            convert::to_json(v),
            v.created_at.as_millis(),
            v.updated_at.map(Timestamp::as_millis),
        ])
        .map_err(error)?;
    }
    Ok(plan)
}

#[async_trait]
impl VoucherStore for SqliteStore {
    async fn import_vouchers(
        &self,
        project: &ProjectId,
        records: Vec<VoucherRecord>,
        update: bool,
        now: Timestamp,
    ) -> Result<Vec<Voucher>, StoreError> {
        let project = project.clone();
        self.write(move |tx| {
            let items = records.into_iter().map(Item::Write).collect();
            let writes = VoucherWrites::Import { update, items };
            Ok(apply_voucher_items(tx, project.as_str(), writes, 0, now)?.rows)
        })
        .await
    }

    async fn get_voucher(
        &self,
        project: &ProjectId,
        code_or_id: &str,
    ) -> Result<Option<Voucher>, StoreError> {
        self.find(qv::SELECT_VOUCHER, project, code_or_id, voucher).await
    }

    async fn existing_voucher_codes(
        &self,
        project: &ProjectId,
        codes: &[String],
    ) -> Result<Vec<String>, StoreError> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let project = project.clone();
        let codes = serde_json::to_string(codes).map_err(anyhow::Error::from)?;
        self.read(move |c| {
            c.prepare_cached(SELECT_CODES)?
                .query_map(params![project.as_str(), codes], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .await
    }

    async fn list_vouchers(
        &self,
        project: &ProjectId,
        campaign_id: Option<&str>,
        limit: u32,
        page: u32,
    ) -> Result<VoucherPage, StoreError> {
        let (project, campaign) = (project.clone(), campaign_id.map(str::to_owned));
        self.read(move |c| {
            let offset = q::page_offset(limit, page);
            let vouchers = c
                .prepare_cached(&sql(qv::SELECT_VOUCHER_PAGE))?
                .query_map(params![project.as_str(), campaign, i64::from(limit), offset], voucher)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total: i64 =
                c.row(&sql(qv::COUNT_VOUCHERS), params![project.as_str(), campaign], |r| r.get(0))?;
            Ok(VoucherPage { vouchers, total: total as u64 })
        })
        .await
    }
}
