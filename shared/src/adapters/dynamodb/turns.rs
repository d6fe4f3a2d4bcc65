//! Writing a turn on DynamoDB: a person's message, a reply, or a message of
//! imported history, each one TransactWriteItems with condition
//! expressions:
//! - a message is stored only if the session's `message_count` is still the
//!   one it was numbered from (so a seq is never taken twice);
//! - a client id or an external id is written only once (so a retry or a
//!   second import never stores twice);
//! - a reply is stored only if its question has no `answered_by` yet.
//!
//! A cancelled transaction is re-read and retried a bounded number of times.

use super::keys::{
    activity_day, activity_sk, client_sk, created_key, external_sk, flag_sk, message_sk,
    session_sk, user_pk,
};
use super::plumbing::{
    CONDITION_FAILED, build_err, cancelled_with, data, data_item, get_n, get_s, item, json, n, s,
    sdk,
};
use super::schema::{GSI1PK, GSI1SK, LSI1SK, PK, SK, TTL_ATTRIBUTE};
use super::{DynamoStore, Item};
use crate::domain::assessment::{StoredAssessment, vector_bytes, vector_from_bytes};
use crate::domain::ids::{ClientMessageId, SessionId, UserId};
use crate::domain::message::{
    CrisisFlag, Message, NewReply, NewUserMessage, RecordedTurn, Role, Session,
};
use crate::domain::personal_data::{ImportLine, ItemKind};
use crate::domain::safety::learned::RiskScores;
use crate::ports::StoreError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

/// How long a client id is remembered for retries.
const CLIENT_ID_TTL_SECS: i64 = 30 * 24 * 3600;
/// Attempts at a write that lost a race to a concurrent one.
const MAX_RACE_RETRIES: usize = 8;
/// Only if the item is new.
const NEW: Option<&str> = Some("attribute_not_exists(PK)");

fn too_busy() -> StoreError {
    StoreError::Conflict("too many concurrent writes to this session; try again".into())
}

fn session_item(user: &UserId, session: &Session) -> Result<Item, StoreError> {
    let created = created_key(session.created_at.timestamp_millis(), &session.id);
    Ok(item(
        user,
        session_sk(&session.id),
        ItemKind::Session,
        [
            (LSI1SK, s(created)),
            ("message_count", n(session.message_count)),
            ("data", json(session)?),
        ],
    ))
}

fn message_item(user: &UserId, m: &Message) -> Result<Item, StoreError> {
    let mut item = item(
        user,
        message_sk(&m.session_id, m.seq),
        ItemKind::Message,
        [("data", message_data(m)?)],
    );
    if let Some(a) = m.answered_by {
        item.insert("answered_by".into(), n(a));
    }
    if let Some(a) = &m.assessment {
        let [head, vector] = assessment_attributes(a)?;
        item.extend([head, vector].map(|(k, v)| (k.to_string(), v)));
    }
    Ok(item)
}

/// A message's `data`: its JSON without the assessment, which the item
/// keeps in attributes of its own (the vector as bytes).
fn message_data(m: &Message) -> Result<AttributeValue, StoreError> {
    json(&Message {
        assessment: None,
        ..m.clone()
    })
}

/// What an assessment's `assessment` attribute holds beside the vector.
#[derive(serde::Serialize, serde::Deserialize)]
struct AssessmentHead {
    model: String,
    risk: RiskScores,
}

/// An assessment as two attributes of its message's item: `assessment`
/// (the model and its scores, as JSON) and `vector` (binary, `f32` LE).
fn assessment_attributes(
    a: &StoredAssessment,
) -> Result<[(&'static str, AttributeValue); 2], StoreError> {
    let head = AssessmentHead {
        model: a.model.clone(),
        risk: a.risk,
    };
    Ok([
        (ASSESSMENT, json(&head)?),
        (
            VECTOR,
            AttributeValue::B(Blob::new(vector_bytes(&a.vector))),
        ),
    ])
}

const ASSESSMENT: &str = "assessment";
const VECTOR: &str = "vector";

/// A message item as the domain sees it: `data`, with its assessment.
pub(super) fn message_of(item: &Item) -> Result<Message, StoreError> {
    let mut message: Message = data(item)?;
    if let (Some(AttributeValue::S(head)), Some(AttributeValue::B(vector))) =
        (item.get(ASSESSMENT), item.get(VECTOR))
    {
        let corrupt = |what: &str| StoreError::Corrupt(format!("a message's {what}"));
        let head: AssessmentHead = serde_json::from_str(head).map_err(|_| corrupt("assessment"))?;
        message.assessment = Some(StoredAssessment {
            model: head.model,
            risk: head.risk,
            vector: vector_from_bytes(vector.as_ref()).ok_or_else(|| corrupt("vector"))?,
        });
    }
    Ok(message)
}

/// An idempotency record: the message an id (client or external) stands for.
fn id_record(user: &UserId, sk: String, kind: ItemKind, message: &Message) -> Item {
    item(
        user,
        sk,
        kind,
        [
            ("session_id", s(message.session_id.as_str())),
            ("seq", n(message.seq)),
        ],
    )
}

impl DynamoStore {
    /// The session write of a turn: create it, or move its count from
    /// `expected` to `session.message_count` and nothing else.
    fn session_write(
        &self,
        user: &UserId,
        session: &Session,
        expected: Option<u64>,
    ) -> Result<TransactWriteItem, StoreError> {
        match expected {
            None => self.put(session_item(user, session)?, NEW),
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

    /// The turn a client id already stored, if it did.
    async fn replay(
        &self,
        user: &UserId,
        cmid: &ClientMessageId,
    ) -> Result<Option<RecordedTurn>, StoreError> {
        let Some(item) = self.get(user, &client_sk(cmid)).await? else {
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

    /// `ConversationStore::record_user_message`: the message, its session,
    /// its client id, its crisis flag and the day's activity together.
    pub(super) async fn write_user_message(
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
            let mut writes = vec![
                self.session_write(user, &session, expected)?,
                self.put(message_item(user, &message)?, NEW)?,
            ];
            if let Some(cmid) = &input.client_message_id {
                let mut record =
                    id_record(user, client_sk(cmid), ItemKind::ClientMessageId, &message);
                let expires = input.created_at.timestamp() + CLIENT_ID_TTL_SECS;
                record.insert(TTL_ATTRIBUTE.into(), n(expires));
                writes.push(self.put(record, NEW)?);
            }
            if let Some(category) = input.crisis {
                let flag = CrisisFlag::for_message(&message, category);
                writes.push(self.put(flag_item(user, &flag)?, None)?);
            }
            let day = message.created_at.date_naive();
            let activity = item(
                user,
                activity_sk(day),
                ItemKind::Activity,
                [
                    (GSI1PK, s(activity_day(day))),
                    (GSI1SK, s(user.as_str())),
                    ("last_at", n(message.created_at.timestamp_millis())),
                ],
            );
            writes.push(self.put(activity, None)?);
            match self.transact(writes).await {
                Ok(()) => {
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
                Err(e) if !cancelled_with(&e, CONDITION_FAILED).is_empty() => continue,
                Err(e) => return Err(sdk(e)),
            }
        }
        Err(too_busy())
    }

    /// `ConversationStore::set_session_remember`: the session's `data`
    /// rewritten with the mark, only if no turn moved its count meanwhile
    /// (else it is read again), so a racing turn's count is never lost.
    pub(super) async fn write_session_remember(
        &self,
        user: &UserId,
        session_id: &SessionId,
        remember: bool,
    ) -> Result<Session, StoreError> {
        for _ in 0..MAX_RACE_RETRIES {
            let mut session = self
                .load_session(user, session_id)
                .await?
                .ok_or(StoreError::NotFound)?;
            if session.remember == remember {
                return Ok(session);
            }
            session.remember = remember;
            let before = session.message_count;
            match self
                .transact(vec![self.session_write(user, &session, Some(before))?])
                .await
            {
                Ok(()) => return Ok(session),
                Err(e) if !cancelled_with(&e, CONDITION_FAILED).is_empty() => continue,
                Err(e) => return Err(sdk(e)),
            }
        }
        Err(too_busy())
    }

    /// `ConversationStore::record_reply`: the reply, its session, and the
    /// question marked answered, together.
    pub(super) async fn write_reply(
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
                .expression_attribute_values(":data", message_data(&question)?)
                .build()
                .map_err(build_err)?;
            let writes = vec![
                self.session_write(user, &session, Some(before))?,
                self.put(message_item(user, &message)?, NEW)?,
                TransactWriteItem::builder().update(mark).build(),
            ];
            match self.transact(writes).await {
                Ok(()) => return Ok(message),
                // Answered meanwhile, or the session moved on: read again.
                Err(e) if !cancelled_with(&e, CONDITION_FAILED).is_empty() => continue,
                Err(e) => return Err(sdk(e)),
            }
        }
        Err(too_busy())
    }

    /// `ConversationStore::record_assessment`: one update of the message's
    /// item, only if it exists.
    pub(super) async fn write_assessment(
        &self,
        user: &UserId,
        session_id: &SessionId,
        seq: u64,
        assessment: &StoredAssessment,
    ) -> Result<(), StoreError> {
        let [(_, head), (_, vector)] = assessment_attributes(assessment)?;
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(user_pk(user)))
            .key(SK, s(message_sk(session_id, seq)))
            .update_expression("SET #a = :a, #v = :v")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#a", ASSESSMENT)
            .expression_attribute_names("#v", VECTOR)
            .expression_attribute_values(":a", head)
            .expression_attribute_values(":v", vector)
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::NotFound)
            }
            Err(e) => Err(sdk(e)),
        }
    }

    /// `ConversationStore::record_crisis_flag`: one put, keyed by the
    /// flag's time and message, so a second is the same item.
    pub(super) async fn write_crisis_flag(
        &self,
        user: &UserId,
        flag: &CrisisFlag,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(flag_item(user, flag)?))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    /// Store one imported message (with its crisis flag, if flagged)
    /// unless its `external_id` was imported before. Returns the session's
    /// message count after it and the stored message, or `None` when skipped.
    pub(super) async fn write_imported(
        &self,
        user: &UserId,
        line: &ImportLine,
    ) -> Result<Option<(u64, Message)>, StoreError> {
        let ext_sk = external_sk(&line.external_id);
        for _ in 0..MAX_RACE_RETRIES {
            if self.get(user, &ext_sk).await?.is_some() {
                return Ok(None);
            }
            let existing = self.load_session(user, &line.session_id).await?;
            let expected = existing.as_ref().map(|s| s.message_count);
            let mut session = existing.unwrap_or_else(|| line.new_session());
            let message = line.append_to(&mut session);
            let mut writes = vec![
                self.session_write(user, &session, expected)?,
                self.put(message_item(user, &message)?, NEW)?,
                self.put(
                    id_record(user, ext_sk.clone(), ItemKind::ExternalId, &message),
                    NEW,
                )?,
            ];
            if let Some(flag) = line.flag_for(&message) {
                writes.push(self.put(flag_item(user, &flag)?, None)?);
            }
            match self.transact(writes).await {
                Ok(()) => return Ok(Some((session.message_count, message))),
                Err(e) if !cancelled_with(&e, CONDITION_FAILED).is_empty() => continue,
                Err(e) => return Err(sdk(e)),
            }
        }
        Err(too_busy())
    }
}

/// A crisis flag's item, under the person's `F#` keys.
fn flag_item(user: &UserId, flag: &CrisisFlag) -> Result<Item, StoreError> {
    let sk = flag_sk(flag.at.timestamp_millis(), &flag.message_id);
    data_item(user, sk, ItemKind::CrisisFlag, flag)
}
