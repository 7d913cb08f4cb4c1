//! The PostgreSQL wire protocol: one session per connection; simple queries and the extended
//! protocol (Parse/Bind/Describe/Execute) through `pgwire`.

use super::cancel::{Canceller, Registration};
use super::disconnect::Peer;
use super::exec::{self, Kind, Statement};
use super::run::State;
use super::{auth, sqlstate, types};
use crate::{Database, Error, QueryResult};
use async_trait::async_trait;
use bytes::BytesMut;
use futures::{stream, Sink};
use grizzly_ir::sqlparser::ast;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{FieldFormat, FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireServerHandlers, Type};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::data::DataRow;
use pgwire::messages::PgWireBackendMessage;
use pgwire::tokio::{process_socket, TlsAcceptor};
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpStream;

/// Serves one client until it leaves (or the server shuts down and drops this future).
pub async fn serve(state: Arc<State>, socket: TcpStream, tls: Option<TlsAcceptor>) {
    let _open = OpenConnection::new(&state);
    let session = state.db.connect_with_settings();
    let peer = Arc::new(Peer::of(&socket));
    let handler = Arc::new(Handler {
        state: state.clone(),
        cancel: Registration::new(state.cancels.clone()),
        session: session.clone(),
        peer: peer.clone(),
        parser: Arc::new(Parser {
            state: state.clone(),
            session,
            peer,
        }),
    });
    let connection = Connection {
        handler,
        startup: state.startup.clone(),
    };
    // I/O errors here are the client's going away: nothing to report.
    let _ = process_socket(socket, tls, connection).await;
}

/// Counts an open connection in the metrics for as long as it lives.
struct OpenConnection(Arc<State>);

impl OpenConnection {
    fn new(state: &Arc<State>) -> OpenConnection {
        state.metrics.connection_opened();
        OpenConnection(state.clone())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.metrics.connection_closed();
    }
}

/// The handlers of one connection.
struct Connection {
    handler: Arc<Handler>,
    startup: Arc<auth::Startup>,
}

impl PgWireServerHandlers for Connection {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.handler.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.handler.clone()
    }

    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        self.startup.clone()
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        Arc::new(Canceller(self.handler.state.cancels.clone()))
    }
}

/// Runs a connection's statements on its session.
struct Handler {
    state: Arc<State>,
    /// Makes the session's statements cancellable by the client's cancel key.
    cancel: Registration,
    /// Dropped with the connection, rolling back an open transaction.
    session: Database,
    /// The client, watched while a statement runs: leaving cancels the statement.
    peer: Arc<Peer>,
    parser: Arc<Parser>,
}

/// Prepares statements for the extended protocol on the connection's session.
struct Parser {
    state: Arc<State>,
    session: Database,
    peer: Arc<Peer>,
}

/// The ErrorResponse for `error`.
fn error_info(error: &Error) -> ErrorInfo {
    ErrorInfo::new(
        "ERROR".to_string(),
        sqlstate::of(error).to_string(),
        error.to_string(),
    )
}

fn user_error(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_string(),
        code.to_string(),
        message,
    )))
}

/// Refuses new work once shutdown has started; FATAL closes the connection.
fn check_open(state: &State) -> PgWireResult<()> {
    if state.closing() {
        return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
            "FATAL".to_string(),
            sqlstate::ADMIN_SHUTDOWN.to_string(),
            "terminating connection: the server is shutting down".to_string(),
        ))));
    }
    Ok(())
}

/// The response to a statement of `kind` that returned `result`. With `rows_allowed` false
/// (a statement Describe called NoData), a command's rows are reported as a count only.
fn respond(
    state: &Arc<State>,
    ast: &ast::Statement,
    kind: Kind,
    result: QueryResult,
    format: &Format,
    rows_allowed: bool,
) -> Response {
    match kind {
        Kind::Begin => Response::TransactionStart(Tag::new("BEGIN")),
        Kind::Commit => Response::TransactionEnd(Tag::new("COMMIT")),
        Kind::Rollback => Response::TransactionEnd(Tag::new("ROLLBACK")),
        Kind::Rows => rows(state, result, format),
        Kind::Command if exec::is_affected_count(&result) => {
            Response::Execution(Tag::new(&exec::command_tag(ast, exec::affected(&result))))
        }
        Kind::Command if !rows_allowed => {
            let count = result.row_count() as u64;
            Response::Execution(Tag::new(&exec::command_tag(ast, count)))
        }
        Kind::Command => rows(state, result, format),
    }
}

/// A result's rows, encoded as they are sent. Sending counts as in flight, so a shutdown lets
/// it finish.
fn rows(state: &Arc<State>, result: QueryResult, format: &Format) -> Response {
    let fields: Vec<FieldInfo> = result
        .columns()
        .iter()
        .enumerate()
        .map(|(i, c)| types::field(c, format.format_for(i)))
        .collect();
    let formats: Vec<FieldFormat> = fields.iter().map(FieldInfo::format).collect();
    let sending = state.start_query();
    let rows = (0..result.row_count()).map(move |row| {
        let _ = &sending;
        let mut data = BytesMut::new();
        for (col, format) in formats.iter().enumerate() {
            types::encode(&mut data, &result.value(row, col), *format);
        }
        Ok(DataRow::new(data, formats.len() as i16))
    });
    Response::Query(QueryResponse::new(Arc::new(fields), stream::iter(rows)))
}

#[async_trait]
impl SimpleQueryHandler for Handler {
    /// Runs the statements of `query` one by one, stopping at the first error (as PostgreSQL
    /// does); each gets its own response.
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        check_open(&self.state)?;
        let interrupt = self.session.interrupt_handle();
        self.cancel
            .register(client.pid_and_secret_key(), &interrupt);
        let pieces: Vec<String> = exec::split(query).into_iter().map(String::from).collect();
        let (state, session) = (self.state.clone(), self.session.clone());
        let work = exec::blocking(&self.state, move || {
            let mut outcomes = Vec::new();
            for piece in pieces {
                let outcome = exec::timed(&state, || {
                    let Some(ast) = grizzly_ir::parse(&piece)?.pop() else {
                        return Ok(None);
                    };
                    let result = exec::run_text(&session, &ast, &piece)?;
                    Ok(Some((ast, result)))
                });
                let failed = outcome.is_err();
                outcomes.push(outcome);
                if failed {
                    break;
                }
            }
            Ok(outcomes)
        });
        let outcomes = self.peer.watch(&interrupt, work).await;
        let outcomes = match outcomes {
            Ok(outcomes) => outcomes,
            Err(e) => vec![Err(e)],
        };
        let mut responses = Vec::new();
        for outcome in outcomes {
            match outcome {
                Ok(Some((ast, result))) => {
                    let kind = Kind::of(&ast);
                    responses.push(respond(
                        &self.state,
                        &ast,
                        kind,
                        result,
                        &Format::UnifiedText,
                        true,
                    ));
                }
                Ok(None) => {}
                Err(e) => responses.push(Response::Error(Box::new(error_info(&e)))),
            }
        }
        if responses.is_empty() {
            responses.push(Response::EmptyQuery);
        }
        Ok(responses)
    }
}

#[async_trait]
impl QueryParser for Parser {
    type Statement = Arc<Statement>;

    /// Prepares the statement now, so Describe can tell its parameter and column types and
    /// each Execute skips the front end. Parameter types the client gives are used to decode
    /// its values; Grizzly's inferred types decide what they are cast to.
    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        _types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        check_open(&self.state)?;
        let (session, text) = (self.session.clone(), sql.to_string());
        let start = Instant::now();
        let interrupt = self.session.interrupt_handle();
        let work = exec::blocking(&self.state, move || Statement::prepare(&session, &text));
        match self.peer.watch(&interrupt, work).await {
            Ok(statement) => Ok(Some(Arc::new(statement))),
            Err(e) => {
                exec::observe(&self.state, start, Some(&e));
                Err(PgWireError::UserError(Box::new(error_info(&e))))
            }
        }
    }

    fn get_parameter_types(&self, statement: &Self::Statement) -> PgWireResult<Vec<Type>> {
        Ok(statement
            .params
            .iter()
            .map(|t| types::pg_type(*t))
            .collect())
    }

    fn get_result_schema(
        &self,
        statement: &Self::Statement,
        format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        let format = format.cloned().unwrap_or_default();
        Ok(statement
            .columns
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, c)| types::field(c, format.format_for(i)))
            .collect())
    }
}

#[async_trait]
impl ExtendedQueryHandler for Handler {
    type Statement = Arc<Statement>;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Parser> {
        self.parser.clone()
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        check_open(&self.state)?;
        let interrupt = self.session.interrupt_handle();
        self.cancel
            .register(client.pid_and_secret_key(), &interrupt);
        let statement = portal.statement.statement.clone();
        let mut params = Vec::with_capacity(portal.parameter_len());
        for (i, bytes) in portal.parameters.iter().enumerate() {
            // The client's type for the parameter if it named one, else the one we described.
            let ty = portal
                .statement
                .parameter_types
                .get(i)
                .cloned()
                .flatten()
                .or_else(|| statement.params.get(i).map(|t| types::pg_type(*t)))
                .unwrap_or(Type::UNKNOWN);
            let binary = portal.parameter_format.is_binary(i);
            let value = types::decode_param(bytes.as_deref(), &ty, binary, i + 1)
                .map_err(|m| user_error(sqlstate::INVALID_TEXT, m))?;
            params.push(value);
        }
        let (state, session, run) = (self.state.clone(), self.session.clone(), statement.clone());
        let work = exec::blocking(&self.state, move || {
            exec::timed(&state, || run.run(&session, &params))
        });
        let result = self
            .peer
            .watch(&interrupt, work)
            .await
            .map_err(|e| PgWireError::UserError(Box::new(error_info(&e))))?;
        let rows_allowed = statement.columns.is_some();
        Ok(respond(
            &self.state,
            &statement.ast,
            statement.kind,
            result,
            &portal.result_column_format,
            rows_allowed,
        ))
    }
}
