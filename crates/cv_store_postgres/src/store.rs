//! The core of the store on PostgreSQL: connecting, `Resources` and `ActionReads` (the
//! engine's `Queue` is in `queue.rs`).

use std::{
    sync::{Arc, LazyLock},
    time::Duration,
};

use anyhow::{Context as _, anyhow};
use async_trait::async_trait;
use cv_domain::{
    ActionId, Customer, CustomerId, CustomerPatch, ProjectId, Timestamp,
    ids::random_secret,
    metadata_schema::{MetadataResource, MetadataSchema},
};
use cv_store::{
    ActionChanges, ActionCount, ActionFilter, ActionReads, ActionRecord, CustomerPage, Item,
    MetadataSchemaRecord, NewAction, ReportLine, Resources, StoreError, Wakeups, sql as q,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::task::JoinHandle;
use tokio_postgres::{NoTls, types::ToSql};

use crate::{
    chunk,
    convert::{self, error, pool_error},
    db::{self, Params, count, execute, query, query_opt},
    generation::Generation,
    listen, migrate,
    notify::Notifier,
    statistics,
};

const POOL_SIZE: usize = 16;

/// Creates an action and stores its payload in one statement (one round trip, its own
/// transaction): `cv_store::sql::INSERT_ACTION`'s parameters, then `$8` the payload.
const CREATE_ACTION: &str = concat!(
    "WITH a AS (",
    cv_store::insert_action!(),
    " RETURNING ",
    cv_store::action_columns!(),
    "), p AS (INSERT INTO action_payloads (action_id, body) SELECT id, $8 FROM a) \
     SELECT ",
    cv_store::action_columns!(),
    " FROM a"
);

/// How long opening the store waits for its LISTEN connection.
const LISTEN_WAIT: Duration = Duration::from_secs(5);

/// The shared lookup by id, locking the row against a concurrent read-modify-write.
static SELECT_CUSTOMER_BY_ID_FOR_UPDATE: LazyLock<String> =
    LazyLock::new(|| format!("{} FOR UPDATE", q::SELECT_CUSTOMER_BY_ID));

/// The PostgreSQL store. Cheap to clone.
#[derive(Clone)]
pub struct PostgresStore {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pool: Pool,
    pub(crate) wake: Wakeups,
    /// What the listener hears on the change channel, our own writes included.
    changes: ActionChanges,
    /// Sends the notifications of committed writes (see [`crate::notify`]).
    pub(crate) notifier: Notifier,
    /// The write generation the API keeps answers under (see [`crate::generation`]).
    pub(crate) generation: Arc<Generation>,
    listener: JoinHandle<()>,
    /// Analyzes tables that outgrew their planner statistics (see [`crate::statistics`]).
    statistics: JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.listener.abort();
        self.statistics.abort();
    }
}

impl PostgresStore {
    /// Connects a pool to the database at `url` (a `postgres://` URL or key=value string,
    /// without TLS), applies migrations and starts listening for enqueued actions.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Self::open(url, None).await
    }

    /// Like [`PostgresStore::connect`], but keeps everything in `schema` (created if needed):
    /// every connection runs with `search_path=<schema>`. `schema` must be a lowercase
    /// identifier (`[a-z_][a-z0-9_]*`). Tests use it to get a fresh store in one database.
    pub async fn connect_in_schema(url: &str, schema: &str) -> anyhow::Result<Self> {
        Self::open(url, Some(schema)).await
    }

    async fn open(url: &str, schema: Option<&str>) -> anyhow::Result<Self> {
        let config = db::config(url, schema)?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(10)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .context("building the PostgreSQL pool")?;
        {
            let mut client = pool.get().await.context("connecting to PostgreSQL")?;
            let client: &mut tokio_postgres::Client = &mut client;
            if let Some(schema) = schema {
                migrate::ensure_schema(client, schema)
                    .await
                    .with_context(|| format!("creating schema {schema}"))?;
            }
            migrate::migrate(client).await.context("applying PostgreSQL migrations")?;
        }
        let targets = listen::Targets {
            wake: Wakeups::default(),
            changes: ActionChanges::default(),
            generation: Arc::default(),
        };
        let channels = listen::Channels {
            wake: listen::channel(schema),
            changes: listen::changes_channel(schema),
        };
        let generation = targets.generation.clone();
        let listener = tokio::spawn(listen::run(config, channels.clone(), targets.clone()));
        let notifier = Notifier::start(pool.clone(), channels.clone());
        let statistics = statistics::start(pool.clone());
        // Kept answers need the LISTEN connection: give it a moment to be up before the
        // first request (it keeps trying in the background if it is not).
        let _ = tokio::time::timeout(LISTEN_WAIT, generation.listening()).await;
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                wake: targets.wake,
                changes: targets.changes,
                notifier,
                generation: targets.generation,
                listener,
                statistics,
            }),
        })
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.inner.pool.get().await.map_err(pool_error)
    }

    /// The row `sql` finds by `$1` project and `$2` key (an id, source_id, code or name),
    /// decoded with `decode`.
    pub(crate) async fn find<T>(
        &self,
        sql: &str,
        project: &ProjectId,
        key: &str,
        decode: fn(&tokio_postgres::Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let client = self.client().await?;
        let params: Params<'_> = &[&project.as_str(), &key];
        query_opt(&client, sql, params).await?.as_ref().map(decode).transpose()
    }
}

#[async_trait]
impl Resources for PostgresStore {
    async fn ensure_project(&self, name: &str, now: Timestamp) -> Result<ProjectId, StoreError> {
        let _writing = self.inner.generation.writing();
        let client = self.client().await?;
        let id = ProjectId::generate();
        execute(&client, q::INSERT_PROJECT, &[&id.as_str(), &name, &now.as_millis()]).await?;
        let row = query_opt(&client, q::SELECT_PROJECT, &[&name]).await?;
        let row = row.ok_or_else(|| anyhow!("project {name} vanished after insert"))?;
        Ok(ProjectId::from_string(row.try_get::<_, String>(0).map_err(error)?))
    }

    async fn put_credential(
        &self,
        project: &ProjectId,
        app_id: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let _writing = self.inner.generation.writing();
        let client = self.client().await?;
        let params: Params<'_> = &[&app_id, &project.as_str(), &token_hash, &now.as_millis()];
        execute(&client, q::UPSERT_CREDENTIAL, params).await?;
        // Other nodes keep credentials they looked up (under the write generation): any
        // notification makes them look again. The enqueue channel's, which wakes idle
        // workers for nothing, as rarely as credentials change.
        self.inner.notifier.credentials();
        Ok(())
    }

    async fn find_credential(
        &self,
        app_id: &str,
    ) -> Result<Option<(ProjectId, String)>, StoreError> {
        let client = self.client().await?;
        let Some(row) = query_opt(&client, q::SELECT_CREDENTIAL, &[&app_id]).await? else {
            return Ok(None);
        };
        let project: String = row.try_get(0).map_err(error)?;
        Ok(Some((ProjectId::from_string(project), row.try_get(1).map_err(error)?)))
    }

    async fn count_credentials(&self, project: &ProjectId) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let rows = query(&client, q::COUNT_CREDENTIALS, &[&project.as_str()]).await?;
        rows.first().map_or(Ok(0), count)
    }

    async fn create_action(&self, new: NewAction) -> Result<ActionRecord, StoreError> {
        let _writing = self.inner.generation.writing();
        let client = self.client().await?;
        let params: Params<'_> = &[
            &new.id.as_str(),
            &new.project_id.as_str(),
            &new.kind().as_str(),
            &new.request_id.as_str(),
            &(new.total_items as i64),
            &new.created_at.as_millis(),
            &new.kind().serial_group(),
            &new.payload(),
        ];
        let row = query_opt(&client, CREATE_ACTION, params)
            .await?
            .ok_or_else(|| anyhow!("action {} vanished after insert", new.id))?;
        let record = convert::action(&row)?;
        self.inner.notifier.enqueued(new.id.as_str());
        self.inner.notifier.changed(new.project_id.as_str(), new.id.as_str());
        self.inner.wake.notify_waiters();
        Ok(record)
    }

    async fn put_upload_part(
        &self,
        upload: &ActionId,
        part: u32,
        bytes: Vec<u8>,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        execute(&client, q::INSERT_UPLOAD_PART, &[&upload.as_str(), &i64::from(part), &bytes])
            .await?;
        Ok(())
    }

    async fn read_upload_part(
        &self,
        upload: &ActionId,
        part: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let client = self.client().await?;
        let row = query_opt(&client, q::SELECT_UPLOAD_PART, &[&upload.as_str(), &i64::from(part)])
            .await?;
        row.map(|r| r.try_get(0).map_err(error)).transpose()
    }

    async fn delete_upload(&self, upload: &ActionId) -> Result<(), StoreError> {
        let client = self.client().await?;
        execute(&client, q::DELETE_UPLOAD, &[&upload.as_str()]).await?;
        Ok(())
    }

    async fn upsert_customers(
        &self,
        project: &ProjectId,
        patches: Vec<CustomerPatch>,
        now: Timestamp,
    ) -> Result<Vec<Customer>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let items = patches.into_iter().map(Item::Write).collect();
        let plan = chunk::apply_customer_items(&tx, project.as_str(), items, 0, now).await?;
        tx.commit().await.map_err(error)?;
        Ok(plan.rows)
    }

    async fn put_metadata_schema(
        &self,
        project: &ProjectId,
        schema: &MetadataSchema,
        now: Timestamp,
    ) -> Result<MetadataSchemaRecord, StoreError> {
        let client = self.client().await?;
        let id = format!("ms_{}", random_secret(24));
        let definition = convert::to_json(schema);
        let params: Params<'_> = &[
            &id,
            &project.as_str(),
            &schema.related_object.as_str(),
            &definition,
            &now.as_millis(),
        ];
        let row = query_opt(&client, q::UPSERT_METADATA_SCHEMA, params)
            .await?
            .ok_or_else(|| anyhow!("the metadata schema upsert returned no row"))?;
        convert::metadata_schema(&row)
    }

    async fn get_metadata_schema(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
    ) -> Result<Option<MetadataSchemaRecord>, StoreError> {
        let client = self.client().await?;
        let params: Params<'_> = &[&project.as_str(), &resource.as_str()];
        let row = query_opt(&client, q::SELECT_METADATA_SCHEMA, params).await?;
        row.as_ref().map(convert::metadata_schema).transpose()
    }

    async fn list_metadata_schemas(
        &self,
        project: &ProjectId,
    ) -> Result<Vec<MetadataSchemaRecord>, StoreError> {
        let client = self.client().await?;
        let rows = query(&client, q::SELECT_METADATA_SCHEMAS, &[&project.as_str()]).await?;
        convert::all(&rows, convert::metadata_schema)
    }

    async fn delete_metadata_schema(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let params: Params<'_> = &[&project.as_str(), &resource.as_str()];
        Ok(execute(&client, q::DELETE_METADATA_SCHEMA, params).await? > 0)
    }

    async fn get_customer(
        &self,
        project: &ProjectId,
        id_or_source_id: &str,
    ) -> Result<Option<Customer>, StoreError> {
        self.find(q::SELECT_CUSTOMER, project, id_or_source_id, convert::customer).await
    }

    async fn update_customer(
        &self,
        project: &ProjectId,
        id: &CustomerId,
        patch: CustomerPatch,
        now: Timestamp,
    ) -> Result<Option<Customer>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let params: Params<'_> = &[&project.as_str(), &id.as_str()];
        let Some(row) = query_opt(&tx, &SELECT_CUSTOMER_BY_ID_FOR_UPDATE, params).await? else {
            return Ok(None);
        };
        let mut customer = convert::customer(&row)?;
        patch.apply(&mut customer, now);
        chunk::write_customers(&tx, project.as_str(), std::slice::from_ref(&customer)).await?;
        tx.commit().await.map_err(error)?;
        Ok(Some(customer))
    }

    async fn delete_customer(
        &self,
        project: &ProjectId,
        id: &CustomerId,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let n = execute(&client, q::DELETE_CUSTOMER, &[&project.as_str(), &id.as_str()]).await?;
        Ok(n > 0)
    }

    async fn list_customers(
        &self,
        project: &ProjectId,
        limit: u32,
        page: u32,
    ) -> Result<CustomerPage, StoreError> {
        let client = self.client().await?;
        let offset = q::page_offset(limit, page);
        let page_params: Params<'_> = &[&project.as_str(), &i64::from(limit), &offset];
        let count_params: Params<'_> = &[&project.as_str()];
        let (rows, total) = futures_util::try_join!(
            query(&client, q::SELECT_CUSTOMER_PAGE, page_params),
            query(&client, q::COUNT_CUSTOMERS, count_params),
        )?;
        Ok(CustomerPage {
            customers: convert::all(&rows, convert::customer)?,
            total: total.first().map_or(Ok(0), count)?,
        })
    }
}

#[async_trait]
impl ActionReads for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn check_ready(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        let client: &tokio_postgres::Client = &client;
        let version = migrate::version(client).await.map_err(error)?;
        if version == migrate::LATEST {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!(
                "schema version {version}, expected {}",
                migrate::LATEST
            )))
        }
    }

    fn action_changes(&self) -> ActionChanges {
        self.inner.changes.clone()
    }

    fn write_generation(&self) -> Option<u64> {
        self.inner.generation.current()
    }

    async fn get_action(
        &self,
        project: &ProjectId,
        id: &ActionId,
    ) -> Result<Option<ActionRecord>, StoreError> {
        let client = self.client().await?;
        let row = query_opt(&client, q::SELECT_ACTION, &[&project.as_str(), &id.as_str()]).await?;
        row.as_ref().map(convert::action).transpose()
    }

    async fn list_actions_before(
        &self,
        project: &ProjectId,
        filter: &ActionFilter,
        before: Option<Timestamp>,
        limit: u32,
    ) -> Result<Vec<ActionRecord>, StoreError> {
        let client = self.client().await?;
        let (project, before) = (project.as_str(), before.map_or(i64::MAX, Timestamp::as_millis));
        let (limit, values) = (i64::from(limit), filter.values());
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&project, &before, &limit];
        params.extend(values.iter().map(|v| v as &(dyn ToSql + Sync)));
        let rows = query(&client, &q::actions_before(filter), &params).await?;
        convert::all(&rows, convert::action)
    }

    async fn list_actions_at(
        &self,
        project: &ProjectId,
        filter: &ActionFilter,
        at: Timestamp,
    ) -> Result<Vec<ActionRecord>, StoreError> {
        let client = self.client().await?;
        let (project, at, values) = (project.as_str(), at.as_millis(), filter.values());
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&project, &at];
        params.extend(values.iter().map(|v| v as &(dyn ToSql + Sync)));
        let rows = query(&client, &q::actions_at(filter), &params).await?;
        convert::all(&rows, convert::action)
    }

    async fn count_actions(&self) -> Result<Vec<ActionCount>, StoreError> {
        let client = self.client().await?;
        let rows = query(&client, q::COUNT_ACTIONS, &[]).await?;
        convert::all(&rows, convert::action_count)
    }

    async fn report_lines(
        &self,
        id: &ActionId,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<ReportLine>, StoreError> {
        let client = self.client().await?;
        let after = after.map_or(-1, |a| a as i64);
        let params: Params<'_> = &[&id.as_str(), &after, &i64::from(limit)];
        let rows = query(&client, q::SELECT_REPORT_LINES, params).await?;
        convert::all(&rows, convert::report_line)
    }

    async fn failed_report_lines(
        &self,
        id: &ActionId,
        limit: u32,
    ) -> Result<Vec<ReportLine>, StoreError> {
        let client = self.client().await?;
        let params: Params<'_> = &[&id.as_str(), &i64::from(limit)];
        let rows = query(&client, q::SELECT_FAILED_REPORT_LINES, params).await?;
        convert::all(&rows, convert::report_line)
    }
}
