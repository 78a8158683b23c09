//! Awaiting several futures at once. The slot page asks one inventory object per open day; asked
//! one after another, a week costs seven round trips, asked together it costs about one. The
//! crate has no async runtime dependency, and this is all it needs.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs every future to completion, concurrently, and returns their outputs in order.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<Option<Pin<Box<F>>>> =
        futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        let mut all_done = true;
        for (slot, out) in pending.iter_mut().zip(outputs.iter_mut()) {
            if let Some(fut) = slot {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            Poll::Ready(
                outputs
                    .iter_mut()
                    .map(|o| o.take().expect("ready"))
                    .collect(),
            )
        } else {
            Poll::Pending
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::block_on;
    use std::cell::Cell;
    use std::rc::Rc;

    /// Pending `n` times (waking itself each time), then ready with `value`.
    struct After {
        n: u32,
        value: u32,
        polls: Rc<Cell<u32>>,
    }

    impl Future for After {
        type Output = u32;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            self.polls.set(self.polls.get() + 1);
            if self.n == 0 {
                Poll::Ready(self.value)
            } else {
                self.n -= 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    fn drive<F: Future>(fut: F) -> F::Output {
        let mut fut = std::pin::pin!(fut);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        loop {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn outputs_keep_their_order_and_each_future_is_polled_only_until_ready() {
        let polls = Rc::new(Cell::new(0));
        let futs = [3, 0, 1]
            .into_iter()
            .enumerate()
            .map(|(i, n)| After {
                n,
                value: i as u32 * 10,
                polls: polls.clone(),
            })
            .collect();
        assert_eq!(drive(join_all(futs)), vec![0, 10, 20]);
        // 4 + 1 + 2 polls: a finished future is not polled again.
        assert_eq!(polls.get(), 7);
    }

    #[test]
    fn nothing_to_join_is_ready_at_once() {
        let none: Vec<std::future::Ready<u8>> = Vec::new();
        assert!(block_on(join_all(none)).is_empty());
    }
}
