//! The `notify` function: the notifications queue's consumer, which delivers each notice the
//! other functions put on the queue as a WeChat subscribe message or an Alipay template message.
//! It has a route table of its own for health only: nothing outside sends it a request. Apart
//! from `ops`, so the providers' app secrets and RSA key are configured here and in `login`
//! (sign-in) only, and `ops` (which office staff reach) links no provider client.

use worker::MessageExt;
use yuyue_adapter::d1::D1Store;
use yuyue_adapter::notify::ProviderChannel;
use yuyue_adapter::providers::Background;
use yuyue_adapter::Routes;
use yuyue_shared::notify::{deliver_all, retry_delay_seconds, Notice, RETRY_BASE_SECONDS};

fn routes() -> Routes {
    Routes::new("notify")
}

yuyue_adapter::function_entry!(routes);

/// The notifications queue's consumer: each notice delivered at most once per account, retried
/// with backoff while a provider is busy or unreachable. A batch's reads, claims and outcomes
/// are one D1 round trip each (`deliver_all`): a booking wave's confirmations arrive by the
/// hundred.
#[worker::event(queue)]
async fn queue(
    batch: worker::MessageBatch<Notice>,
    env: worker::Env,
    _ctx: worker::Context,
) -> worker::Result<()> {
    let store = D1Store::from_env(&env)
        .map_err(|e| worker::Error::RustError(e.code.as_str().to_owned()))?;
    let now = yuyue_adapter::clock::system_now();
    let base = yuyue_adapter::cx::config_of(&env, "NOTIFY_RETRY_SECONDS")
        .and_then(|v| v.parse().ok())
        .filter(|s| (1..=3600).contains(s))
        .unwrap_or(RETRY_BASE_SECONDS);
    let messages = batch.messages()?;
    let notices: Vec<Notice> = messages.iter().map(|m| m.body().clone()).collect();
    let out = Background {
        env: &env,
        request_id: format!("queue-{}", now.timestamp_millis()),
    };
    let channel = ProviderChannel::new(&out);
    let delivered = deliver_all(&store, &channel, &notices, now).await;
    for (k, message) in messages.iter().enumerate() {
        let retry = match &delivered {
            Ok(all) => all
                .get(k)
                .filter(|d| d.retry)
                .map(|d| retry_delay_seconds(d.attempts, base)),
            // D1 unavailable: what was claimed stays claimed (never sent twice); the rest is
            // tried again.
            Err(_) => Some(retry_delay_seconds(1, base)),
        };
        match retry {
            None => message.ack(),
            Some(delay) => message.retry_with_options(
                &worker::QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(delay)
                    .build(),
            ),
        }
        yuyue_adapter::log::event(
            "info",
            "notice",
            &[
                ("request_id", out.request_id.as_str().into()),
                ("kind", notices[k].kind.as_str().into()),
                ("retry", retry.is_some().into()),
            ],
        );
    }
    Ok(())
}
