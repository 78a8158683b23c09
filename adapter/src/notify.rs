//! Notifications, the Workers side: functions put a notice on the `NOTIFY` queue, and the queue
//! consumer (the notify Worker) sends its messages through [`ProviderChannel`]. What to send,
//! to whom, and at most once, is `yuyue_shared::notify`.

use crate::cx::Cx;
use crate::providers::{alipay, wechat, Outbound};
use std::collections::HashMap;
use worker::Env;
use yuyue_shared::notify::render::Message;
use yuyue_shared::notify::{Channel, Notice, Recipient, Sent};
use yuyue_shared::providers::alipay_message::TemplateAnswer;
use yuyue_shared::providers::wechat::SendAnswer;
use yuyue_shared::store::Platform;

/// The producer binding, in every Worker that causes events.
pub const QUEUE_BINDING: &str = "NOTIFY";

/// Puts `notice` on the queue. A failure is logged, not returned: what the notice is about has
/// already happened, and the mini-program shows it whether or not a message follows.
pub async fn enqueue(env: &Env, notice: &Notice, request_id: &str) {
    let sent = match env.queue(QUEUE_BINDING) {
        Ok(q) => q.send(notice).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if sent.is_err() {
        crate::log::event(
            "error",
            "notify_enqueue_failed",
            &[
                ("request_id", request_id.into()),
                ("kind", notice.kind.as_str().into()),
            ],
        );
    }
}

impl Cx {
    /// Puts `notice` on the notifications queue (see [`enqueue`]).
    pub async fn notify(&self, notice: &Notice) {
        enqueue(&self.env, notice, &self.request_id).await;
    }
}

/// Sends messages with each platform's provider: WeChat subscribe messages and Alipay template
/// messages, their template ids by kind from `WECHAT_TEMPLATES` and `ALIPAY_TEMPLATES`
/// (`{"booking_confirmed": "<template id>", …}`).
pub struct ProviderChannel<'a, O: Outbound> {
    out: &'a O,
    wechat_templates: HashMap<String, String>,
    alipay_templates: HashMap<String, String>,
}

impl<'a, O: Outbound> ProviderChannel<'a, O> {
    pub fn new(out: &'a O) -> Self {
        // Absent, a map sends nothing; a value that is no map would too, silently: it is logged.
        let templates = |name: &str| match out.config(name) {
            None => HashMap::new(),
            Some(json) => serde_json::from_str(&json).unwrap_or_else(|_| {
                crate::log::event("error", "config_invalid", &[("name", name.into())]);
                HashMap::new()
            }),
        };
        ProviderChannel {
            out,
            wechat_templates: templates("WECHAT_TEMPLATES"),
            alipay_templates: templates("ALIPAY_TEMPLATES"),
        }
    }
}

impl<O: Outbound> Channel for ProviderChannel<'_, O> {
    async fn send(&self, to: &Recipient, message: &Message) -> Sent {
        match to.platform {
            Platform::Wechat => {
                let Some(template) = self.wechat_templates.get(message.kind.as_str()) else {
                    return Sent::NotConfigured;
                };
                match wechat::subscribe_send(
                    self.out,
                    &to.openid,
                    template,
                    &message.page,
                    &message.fields,
                )
                .await
                {
                    Ok(SendAnswer::Sent) => Sent::Delivered,
                    Ok(SendAnswer::NoSubscription) => Sent::NoSubscription,
                    Ok(SendAnswer::Refused(code)) => Sent::Failed(format!("errcode {code}")),
                    Ok(SendAnswer::TokenInvalid) => Sent::Transient("access token".into()),
                    Err(e) => Sent::Transient(e.code.as_str().to_owned()),
                }
            }
            Platform::Alipay => {
                let Some(template) = self.alipay_templates.get(message.kind.as_str()) else {
                    return Sent::NotConfigured;
                };
                match alipay::template_message(
                    self.out,
                    (&to.openid, template),
                    &message.page,
                    &message.fields,
                )
                .await
                {
                    Ok(TemplateAnswer::Sent) => Sent::Delivered,
                    Ok(TemplateAnswer::NoSubscription) => Sent::NoSubscription,
                    Ok(TemplateAnswer::Refused(why)) => Sent::Failed(why),
                    Err(e) => Sent::Transient(e.code.as_str().to_owned()),
                }
            }
        }
    }
}
