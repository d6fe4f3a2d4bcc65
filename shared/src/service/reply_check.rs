//! The check of every reply before it is stored or shown
//! (`domain::reply_check`): the rules first, then, where a risk model is
//! loaded, the reply's encoding against the anchor sentences (encoded once
//! per process). A replaced reply is counted with no user id: one log line
//! outside the request's span (which holds the user id), naming only what
//! was caught and where.

use crate::domain::reply_check::{self, ANCHORS, ReplyIssue};
use crate::ports::RiskModel;
use std::sync::Arc;
use tokio::sync::OnceCell;

pub struct ReplyCheck {
    risk: Option<Arc<dyn RiskModel>>,
    anchors: OnceCell<Vec<(ReplyIssue, Vec<f32>)>>,
}

impl ReplyCheck {
    pub fn new(risk: Option<Arc<dyn RiskModel>>) -> Self {
        Self {
            risk,
            anchors: OnceCell::new(),
        }
    }

    /// What is wrong with `reply`, if anything. The encoder layer's
    /// failure leaves the verdict to the rules (with a warning).
    pub async fn judge(&self, reply: &str, minor: bool) -> Option<ReplyIssue> {
        if let Some(issue) = reply_check::check(reply, minor) {
            return Some(issue);
        }
        let model = self.risk.as_deref()?;
        let anchors = self
            .anchors
            .get_or_try_init(|| async {
                let texts: Vec<String> = ANCHORS.iter().map(|(_, t)| t.to_string()).collect();
                let read = model.assess(&texts).await?;
                Ok::<_, crate::ports::EncodeError>(
                    ANCHORS
                        .iter()
                        .zip(read)
                        .map(|((issue, _), a)| (*issue, a.vector))
                        .collect(),
                )
            })
            .await;
        let anchors = match anchors {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "could not encode the reply check's anchors; rules only");
                return None;
            }
        };
        match model.assess(&[reply.to_owned()]).await {
            Ok(read) => read
                .first()
                .and_then(|a| reply_check::judge_vector(&a.vector, anchors, minor)),
            Err(e) => {
                tracing::warn!(error = %e, "could not encode the reply; the rules' verdict stands");
                None
            }
        }
    }
}

/// Count a replaced reply, de-identified: outside the request's span, so
/// no user or request id is attached; `surface` is `chat` or `checkin`.
pub fn count_replaced(issue: ReplyIssue, surface: &'static str) {
    tracing::info!(
        parent: None,
        counter = "reply_replaced",
        issue = issue.as_str(),
        surface,
        "reply replaced by the reply check"
    );
}
