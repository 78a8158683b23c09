//! Notifications, the Workers side: functions put a notice on the `NOTIFY` queue, and the queue
//! consumer (the notify Worker) sends its messages through [`ProviderChannel`]. What to send,
//! to whom, and at most once, is `yuyue_shared::notify`.

use crate::cx::Cx;
use crate::providers::{alipay, wechat, Outbound};
use std::collections::HashMap;
use wasm_bindgen::{JsCast, JsValue};
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

/// Most messages one send to a queue takes.
const BATCH_LIMIT: usize = 100;

/// Puts notices, each as its JSON, on the queue, a hundred a send: handed to the binding as
/// they are, with nothing parsed into Rust and no serde between (the object that sends them
/// must stay small). Text that is no JSON is logged and left out. `Err` at the first send that
/// fails: what went before it was sent, what follows was not.
pub async fn enqueue_batch(env: &Env, notices: &[String]) -> Result<(), &'static str> {
    let queue = env.queue(QUEUE_BINDING).map_err(|_| "binding")?;
    let queue: &worker::worker_sys::Queue = queue.as_ref().unchecked_ref();
    for chunk in notices.chunks(BATCH_LIMIT) {
        let batch = js_sys::Array::new();
        for json in chunk {
            let Ok(body) = js_sys::JSON::parse(json) else {
                crate::log::event("error", "notice_unreadable", &[]);
                continue;
            };
            let message = js_sys::Object::new();
            js_sys::Reflect::set(&message, &"body".into(), &body).map_err(|_| "message")?;
            batch.push(&message);
        }
        let sent = queue
            .send_batch(batch, JsValue::UNDEFINED)
            .map_err(|_| "send refused")?;
        wasm_bindgen_futures::JsFuture::from(sent)
            .await
            .map_err(|_| "send failed")?;
    }
    Ok(())
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
