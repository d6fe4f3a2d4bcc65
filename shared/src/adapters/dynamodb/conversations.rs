//! `ConversationStore` on DynamoDB. Multi-item invariants use
//! TransactWriteItems with condition expressions:
//! - a message is stored only if the session's `message_count` is still the
//!   one it was numbered from (so a seq is never taken twice);
//! - a client id is written only once (so a retry never stores twice);
//! - a reply is stored only if its question has no `answered_by` yet.
//!
//! A cancelled transaction is re-read and retried a bounded number of times.

use super::schema::{GSI1, GSI1PK, GSI1SK, LSI1, LSI1SK, PK, SK, TTL_ATTRIBUTE};
use super::{DynamoStore, Item, build_err, data, get_n, get_s, json, n, s, sdk};
use crate::domain::cursor::{FlagPosition, MessageSeq, SessionPosition, UserPosition};
use crate::domain::ids::{ClientMessageId, MessageId, SessionId, UserId};
use crate::domain::message::{
    CrisisFlag, Message, NewReply, NewUserMessage, RecordedTurn, Role, Session,
};
use crate::domain::page::{Page, PageRequest};
use crate::ports::{ConversationStore, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use chrono::NaiveDate;

/// How long a client id is remembered for retries.
const CLIENT_ID_TTL_SECS: i64 = 30 * 24 * 3600;
/// Attempts at a write that lost a race to a concurrent one.
const MAX_RACE_RETRIES: usize = 8;

use super::user_pk;
fn session_sk(id: &SessionId) -> String {
    format!("S#{id}")
}
fn message_sk(session: &SessionId, seq: u64) -> String {
    format!("M#{session}#{seq:020}")
}
fn client_sk(id: &ClientMessageId) -> String {
    format!("C#{id}")
}
/// The sessions index key: creation millis (clamped at the epoch, so the
/// zero-padded string sorts as the number), then the id.
fn created_key(created_ms: i64, id: &SessionId) -> String {
    format!("SC#{:020}#{id}", created_ms.max(0))
}
fn flag_sk(at_ms: i64, message: &MessageId) -> String {
    format!("F#{:020}#{message}", at_ms.max(0))
}

/// Why a transaction was cancelled.
enum Cancelled {
    /// A condition failed: a concurrent write won; nothing was written.
    Condition,
    Other(StoreError),
}

fn cancelled(e: SdkError<TransactWriteItemsError, impl std::fmt::Debug>) -> Cancelled {
    if let SdkError::ServiceError(ref se) = e
        && let TransactWriteItemsError::TransactionCanceledException(tc) = se.err()
        && tc
            .cancellation_reasons()
            .iter()
            .any(|r| r.code() == Some("ConditionalCheckFailed"))
    {
        return Cancelled::Condition;
    }
    Cancelled::Other(sdk(e))
}

impl DynamoStore {
    pub(super) async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk)?;
        Ok(out.item)
    }

    async fn load_session(
        &self,
        user: &UserId,
        id: &SessionId,
    ) -> Result<Option<Session>, StoreError> {
        self.get(&user_pk(user), &session_sk(id))
            .await?
            .map(|i| data(&i))
            .transpose()
    }

    async fn load_message(
        &self,
        user: &UserId,
        session: &SessionId,
        seq: u64,
    ) -> Result<Option<Message>, StoreError> {
        self.get(&user_pk(user), &message_sk(session, seq))
            .await?
            .map(|i| data(&i))
            .transpose()
    }

    fn put(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn session_item(&self, user: &UserId, session: &Session) -> Result<Item, StoreError> {
        Ok(Item::from([
            (PK.into(), s(user_pk(user))),
            (SK.into(), s(session_sk(&session.id))),
            ("kind".into(), s("session")),
            (
                LSI1SK.into(),
                s(created_key(
                    session.created_at.timestamp_millis(),
                    &session.id,
                )),
            ),
            ("message_count".into(), n(session.message_count)),
            ("data".into(), json(session)?),
        ]))
    }

    fn message_item(&self, user: &UserId, m: &Message) -> Result<Item, StoreError> {
        let mut item = Item::from([
            (PK.into(), s(user_pk(user))),
            (SK.into(), s(message_sk(&m.session_id, m.seq))),
            ("kind".into(), s("message")),
            ("data".into(), json(m)?),
        ]);
        if let Some(a) = m.answered_by {
            item.insert("answered_by".into(), n(a));
        }
        Ok(item)
    }

    /// The session write of a turn: create it, or move its count from
    /// `expected` to `session.message_count` and nothing else.
    fn session_write(
        &self,
        user: &UserId,
        session: &Session,
        expected: Option<u64>,
    ) -> Result<TransactWriteItem, StoreError> {
        match expected {
            None => self.put(
                self.session_item(user, session)?,
                Some("attribute_not_exists(PK)"),
            ),
            Some(before) => {
                let update = Update::builder()
                    .table_name(&self.table)
                    .key(PK, s(user_pk(user)))
                    .key(SK, s(session_sk(&session.id)))
                    .update_expression("SET message_count = :n, #d = :data")
                    .condition_expression("message_count = :before")
                    .expression_attribute_names("#d", "data")
                    .expression_attribute_values(":n", n(session.message_count))
                    .expression_attribute_values(":before", n(before))
                    .expression_attribute_values(":data", json(session)?)
                    .build()
                    .map_err(build_err)?;
                Ok(TransactWriteItem::builder().update(update).build())
            }
        }
    }

    async fn replay(
        &self,
        user: &UserId,
        cmid: &ClientMessageId,
    ) -> Result<Option<RecordedTurn>, StoreError> {
        let Some(item) = self.get(&user_pk(user), &client_sk(cmid)).await? else {
            return Ok(None);
        };
        let sid = SessionId::parse(get_s(&item, "session_id")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let seq = get_n(&item, "seq")?;
        let session = self
            .load_session(user, &sid)
            .await?
            .ok_or_else(|| StoreError::Corrupt("turn without session".into()))?;
        let message = self
            .load_message(user, &sid, seq)
            .await?
            .ok_or_else(|| StoreError::Corrupt("turn without message".into()))?;
        let reply = match message.answered_by {
            Some(r) => self.load_message(user, &sid, r).await?,
            None => None,
        };
        Ok(Some(RecordedTurn {
            session,
            message,
            reply,
            replayed: true,
        }))
    }

    async fn query(
        &self,
        index: Option<&str>,
        condition: &str,
        values: &[(&str, String)],
        forward: bool,
        limit: usize,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, bool), StoreError> {
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_string))
            .key_condition_expression(condition)
            .scan_index_forward(forward)
            .limit((limit + 1) as i32)
            .set_exclusive_start_key(start);
        for (k, v) in values {
            q = q.expression_attribute_values(*k, s(v.clone()));
        }
        let out = q.send().await.map_err(sdk)?;
        let mut items = out.items.unwrap_or_default();
        let more =
            items.len() > limit || (items.len() == limit && out.last_evaluated_key.is_some());
        items.truncate(limit);
        Ok((items, more))
    }
}

#[async_trait]
impl ConversationStore for DynamoStore {
    async fn record_user_message(
        &self,
        user: &UserId,
        input: NewUserMessage,
    ) -> Result<RecordedTurn, StoreError> {
        let new_id = SessionId::generate();
        for _ in 0..MAX_RACE_RETRIES {
            if let Some(cmid) = &input.client_message_id
                && let Some(turn) = self.replay(user, cmid).await?
            {
                return Ok(turn);
            }
            let (mut session, expected) = match &input.session_id {
                Some(id) => {
                    let s = self
                        .load_session(user, id)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    let before = s.message_count;
                    (s, Some(before))
                }
                None => (Session::new(new_id.clone(), input.created_at), None),
            };
            let message = Message::user(&mut session, &input);
            let pk = user_pk(user);
            let mut writes = vec![
                self.session_write(user, &session, expected)?,
                self.put(
                    self.message_item(user, &message)?,
                    Some("attribute_not_exists(PK)"),
                )?,
            ];
            if let Some(cmid) = &input.client_message_id {
                let expires = input.created_at.timestamp() + CLIENT_ID_TTL_SECS;
                writes.push(self.put(
                    Item::from([
                        (PK.into(), s(&pk)),
                        (SK.into(), s(client_sk(cmid))),
                        ("kind".into(), s("client_message_id")),
                        ("session_id".into(), s(session.id.as_str())),
                        ("seq".into(), n(message.seq)),
                        (TTL_ATTRIBUTE.into(), n(expires)),
                    ]),
                    Some("attribute_not_exists(PK)"),
                )?);
            }
            if let Some(category) = input.crisis {
                let flag = CrisisFlag::for_message(&message, category);
                writes.push(self.put(
                    Item::from([
                        (PK.into(), s(&pk)),
                        (
                            SK.into(),
                            s(flag_sk(flag.at.timestamp_millis(), &flag.message_id)),
                        ),
                        ("kind".into(), s("crisis_flag")),
                        ("data".into(), json(&flag)?),
                    ]),
                    None,
                )?);
            }
            let day = message.created_at.date_naive().to_string();
            writes.push(self.put(
                Item::from([
                    (PK.into(), s(&pk)),
                    (SK.into(), s(format!("A#{day}"))),
                    ("kind".into(), s("activity")),
                    (GSI1PK.into(), s(format!("ACT#{day}"))),
                    (GSI1SK.into(), s(user.as_str())),
                    ("last_at".into(), n(message.created_at.timestamp_millis())),
                ]),
                None,
            )?);
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(writes))
                .send()
                .await
            {
                Ok(_) => {
                    return Ok(RecordedTurn {
                        session,
                        message,
                        reply: None,
                        replayed: false,
                    });
                }
                // A condition failed: another request stored this client id
                // first (the next pass replays it), or a concurrent message
                // took this seq (the next pass renumbers). Nothing was written.
                Err(e) => match cancelled(e) {
                    Cancelled::Condition => continue,
                    Cancelled::Other(e) => return Err(e),
                },
            }
        }
        Err(StoreError::Conflict(
            "too many concurrent writes to this session; try again".into(),
        ))
    }

    async fn record_reply(
        &self,
        user: &UserId,
        session_id: &SessionId,
        answers: u64,
        reply: NewReply,
    ) -> Result<Message, StoreError> {
        for _ in 0..MAX_RACE_RETRIES {
            let mut session = self
                .load_session(user, session_id)
                .await?
                .ok_or(StoreError::NotFound)?;
            let mut question = self
                .load_message(user, session_id, answers)
                .await?
                .filter(|m| m.role == Role::User)
                .ok_or(StoreError::NotFound)?;
            if let Some(existing) = question.answered_by {
                return self
                    .load_message(user, session_id, existing)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("reply pointer dangles".into()));
            }
            let before = session.message_count;
            let message = Message::reply(&mut session, &reply);
            question.answered_by = Some(message.seq);
            let mark = Update::builder()
                .table_name(&self.table)
                .key(PK, s(user_pk(user)))
                .key(SK, s(message_sk(session_id, answers)))
                .update_expression("SET answered_by = :a, #d = :data")
                .condition_expression("attribute_exists(PK) AND attribute_not_exists(answered_by)")
                .expression_attribute_names("#d", "data")
                .expression_attribute_values(":a", n(message.seq))
                .expression_attribute_values(":data", json(&question)?)
                .build()
                .map_err(build_err)?;
            let writes = vec![
                self.session_write(user, &session, Some(before))?,
                self.put(
                    self.message_item(user, &message)?,
                    Some("attribute_not_exists(PK)"),
                )?,
                TransactWriteItem::builder().update(mark).build(),
            ];
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(writes))
                .send()
                .await
            {
                Ok(_) => return Ok(message),
                Err(e) => match cancelled(e) {
                    // Answered meanwhile, or the session moved on: read again.
                    Cancelled::Condition => continue,
                    Cancelled::Other(e) => return Err(e),
                },
            }
        }
        Err(StoreError::Conflict(
            "too many concurrent writes to this session; try again".into(),
        ))
    }

    async fn get_session(
        &self,
        user: &UserId,
        session_id: &SessionId,
    ) -> Result<Option<Session>, StoreError> {
        self.load_session(user, session_id).await
    }

    async fn list_sessions(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<Session>, StoreError> {
        let pk = user_pk(user);
        let start = page.position::<SessionPosition>()?.map(|p| {
            Item::from([
                (PK.into(), s(&pk)),
                (SK.into(), s(session_sk(&p.id))),
                (LSI1SK.into(), s(created_key(p.created_ms, &p.id))),
            ])
        });
        let (items, more) = self
            .query(
                Some(LSI1),
                "PK = :pk AND begins_with(LSI1SK, :p)",
                &[(":pk", pk), (":p", "SC#".into())],
                false,
                page.limit as usize,
                start,
            )
            .await?;
        let sessions: Vec<Session> = items.iter().map(data).collect::<Result<_, _>>()?;
        Ok(Page::resuming(sessions, more, SessionPosition::of))
    }

    async fn list_messages(
        &self,
        user: &UserId,
        session_id: &SessionId,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError> {
        let after = page
            .position::<MessageSeq>()?
            .map_or(0, |MessageSeq(seq)| seq);
        if self.load_session(user, session_id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let (items, more) = self
            .query(
                None,
                "PK = :pk AND SK BETWEEN :from AND :to",
                &[
                    (":pk", user_pk(user)),
                    (":from", message_sk(session_id, after.saturating_add(1))),
                    (":to", message_sk(session_id, u64::MAX / 2)),
                ],
                true,
                page.limit as usize,
                None,
            )
            .await?;
        let messages: Vec<Message> = items.iter().map(data).collect::<Result<_, _>>()?;
        Ok(Page::resuming(messages, more, |m: &Message| {
            MessageSeq(m.seq)
        }))
    }

    async fn list_crisis_flags(
        &self,
        user: &UserId,
        page: &PageRequest,
    ) -> Result<Page<CrisisFlag>, StoreError> {
        let pk = user_pk(user);
        let start = page.position::<FlagPosition>()?.map(|p| {
            Item::from([
                (PK.into(), s(&pk)),
                (SK.into(), s(flag_sk(p.at_ms, &p.message_id))),
            ])
        });
        let (items, more) = self
            .query(
                None,
                "PK = :pk AND begins_with(SK, :p)",
                &[(":pk", pk), (":p", "F#".into())],
                false,
                page.limit as usize,
                start,
            )
            .await?;
        let flags: Vec<CrisisFlag> = items.iter().map(data).collect::<Result<_, _>>()?;
        Ok(Page::resuming(flags, more, FlagPosition::of))
    }

    async fn active_users(
        &self,
        day: NaiveDate,
        page: &PageRequest,
    ) -> Result<Page<UserId>, StoreError> {
        let gpk = format!("ACT#{day}");
        let start = page.position::<UserPosition>()?.map(|UserPosition(u)| {
            Item::from([
                (PK.into(), s(user_pk(&u))),
                (SK.into(), s(format!("A#{day}"))),
                (GSI1PK.into(), s(&gpk)),
                (GSI1SK.into(), s(u.as_str())),
            ])
        });
        let (items, more) = self
            .query(
                Some(GSI1),
                "GSI1PK = :g",
                &[(":g", gpk)],
                true,
                page.limit as usize,
                start,
            )
            .await?;
        let users: Vec<UserId> = items
            .iter()
            .map(|i| {
                get_s(i, GSI1SK)
                    .and_then(|u| UserId::parse(u).map_err(|e| StoreError::Corrupt(e.to_string())))
            })
            .collect::<Result<_, _>>()?;
        Ok(Page::resuming(users, more, |u: &UserId| {
            UserPosition(u.clone())
        }))
    }

    async fn recent_messages(
        &self,
        user: &UserId,
        session_id: &SessionId,
        up_to_seq: u64,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(user_pk(user)))
            .expression_attribute_values(":from", s(message_sk(session_id, 0)))
            .expression_attribute_values(":to", s(message_sk(session_id, up_to_seq)))
            .scan_index_forward(false)
            .limit(limit as i32)
            .send()
            .await
            .map_err(sdk)?;
        let mut messages: Vec<Message> = out
            .items
            .unwrap_or_default()
            .iter()
            .map(data)
            .collect::<Result<_, _>>()?;
        messages.reverse();
        Ok(messages)
    }
}

/// Store one imported message unless its `external_id` was imported before.
/// Returns the session's message count after it, or `None` when skipped.
pub(super) async fn write_imported(
    store: &DynamoStore,
    user: &UserId,
    line: &crate::domain::personal_data::ImportLine,
) -> Result<Option<u64>, StoreError> {
    let pk = user_pk(user);
    let ext_sk = format!("E#{}", line.external_id);
    for _ in 0..MAX_RACE_RETRIES {
        if store.get(&pk, &ext_sk).await?.is_some() {
            return Ok(None);
        }
        let existing = store.load_session(user, &line.session_id).await?;
        let expected = existing.as_ref().map(|s| s.message_count);
        let mut session = existing.unwrap_or_else(|| line.new_session());
        let message = line.append_to(&mut session);
        let writes = vec![
            store.session_write(user, &session, expected)?,
            store.put(
                store.message_item(user, &message)?,
                Some("attribute_not_exists(PK)"),
            )?,
            store.put(
                Item::from([
                    (PK.into(), s(&pk)),
                    (SK.into(), s(&ext_sk)),
                    ("kind".into(), s("external_id")),
                    ("session_id".into(), s(session.id.as_str())),
                    ("seq".into(), n(message.seq)),
                ]),
                Some("attribute_not_exists(PK)"),
            )?,
        ];
        match store
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
        {
            Ok(_) => return Ok(Some(session.message_count)),
            Err(e) => match cancelled(e) {
                Cancelled::Condition => continue,
                Cancelled::Other(e) => return Err(e),
            },
        }
    }
    Err(StoreError::Conflict(
        "too many concurrent writes to this session; try again".into(),
    ))
}
