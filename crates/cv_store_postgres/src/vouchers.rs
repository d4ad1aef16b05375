//! Vouchers on PostgreSQL: the chunk writes of the voucher actions and
//! `impl VoucherStore for PostgresStore`.
//!
//! Chunks take transaction-scoped advisory locks on the codes they touch (`voucher/<code>`,
//! in hash order), so two chunks never both miss a code and both insert it.

use async_trait::async_trait;
use cv_domain::{ProjectId, Timestamp, Voucher, VoucherRecord};
use cv_store::{
    Fence, Item, ReportLine, StoreError, VoucherPage, VoucherStore, VoucherWrites,
    plan::vouchers::{self as plan, VoucherPlan},
    sql::{self as q, vouchers as qv},
};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use crate::{
    PostgresStore,
    convert::{self, error},
    db::{Params, count, execute, execute_each, lock, namespaced, query, select_by_keys},
};

/// `$1` project, `$2` codes. Locks the rows until the chunk commits.
const SELECT_VOUCHERS_FOR_UPDATE: &str =
    "SELECT body FROM vouchers WHERE project_id = $1 AND code = ANY($2) FOR UPDATE";

/// `$1` project, `$2` codes.
const SELECT_CODES: &str =
    "SELECT code FROM vouchers WHERE project_id = $1 AND code = ANY($2) ORDER BY code";

/// Decodes a `body` column.
fn voucher(row: &Row) -> Result<Voucher, StoreError> {
    convert::body(row, "voucher")
}

/// Writes the items of a voucher chunk and returns one report line per item. Items that
/// planning refused move from the done to the failed count the fence added.
pub async fn commit_items(
    tx: &impl GenericClient,
    fence: &Fence,
    project: &str,
    writes: VoucherWrites,
    first_line: u64,
    now: Timestamp,
) -> Result<Vec<ReportLine>, StoreError> {
    let plan = apply_voucher_items(tx, project, writes, first_line, now).await?;
    if plan.rejected > 0 {
        execute(tx, q::MOVE_DONE_TO_FAILED, &[&fence.action_id.as_str(), &plan.rejected]).await?;
    }
    Ok(plan.lines)
}

/// Locks and reads the vouchers a chunk names, plans the chunk and writes the planned rows.
async fn apply_voucher_items(
    tx: &impl GenericClient,
    project: &str,
    writes: VoucherWrites,
    first_line: u64,
    now: Timestamp,
) -> Result<VoucherPlan, StoreError> {
    let codes = plan::voucher_codes(&writes);
    lock(tx, project, &namespaced("voucher", &codes)).await?;
    let existing =
        select_by_keys(tx, SELECT_VOUCHERS_FOR_UPDATE, project, &[&codes], voucher).await?;
    let plan = plan::plan_vouchers(existing, writes, first_line, now);
    execute_each(tx, qv::UPSERT_VOUCHER, &plan.rows, |stmt, v| async move {
        let body = convert::to_jsonb(v);
        let params: Params<'_> = &[
            &v.id.as_str(),
            &project,
            &v.code,
            &v.campaign_id,
            &body,
            &v.created_at.as_millis(),
            &v.updated_at.map(Timestamp::as_millis),
        ];
        tx.execute(&stmt, params).await.map_err(error)
    })
    .await?;
    Ok(plan)
}

#[async_trait]
impl VoucherStore for PostgresStore {
    async fn import_vouchers(
        &self,
        project: &ProjectId,
        records: Vec<VoucherRecord>,
        update: bool,
        now: Timestamp,
    ) -> Result<Vec<Voucher>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let items = records.into_iter().map(Item::Write).collect();
        let writes = VoucherWrites::Import { update, items };
        let plan = apply_voucher_items(&tx, project.as_str(), writes, 0, now).await?;
        tx.commit().await.map_err(error)?;
        Ok(plan.rows)
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
        let client = self.client().await?;
        let rows = query(&client, SELECT_CODES, &[&project.as_str(), &codes]).await?;
        rows.iter().map(|r| r.try_get(0).map_err(error)).collect()
    }

    async fn list_vouchers(
        &self,
        project: &ProjectId,
        campaign_id: Option<&str>,
        limit: u32,
        page: u32,
    ) -> Result<VoucherPage, StoreError> {
        let client = self.client().await?;
        let offset = q::page_offset(limit, page);
        let page_params: Params<'_> =
            &[&project.as_str(), &campaign_id, &i64::from(limit), &offset];
        let count_params: Params<'_> = &[&project.as_str(), &campaign_id];
        let (vouchers, total) = futures_util::try_join!(
            query(&client, qv::SELECT_VOUCHER_PAGE, page_params),
            query(&client, qv::COUNT_VOUCHERS, count_params),
        )?;
        Ok(VoucherPage {
            vouchers: convert::all(&vouchers, voucher)?,
            total: total.first().map_or(Ok(0), count)?,
        })
    }
}
