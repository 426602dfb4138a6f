//! An event channel whose waker repaints the window: the window draws a frame when a socket has
//! news and sleeps otherwise.

use std::sync::{Arc, OnceLock};

use serversocket::{EventReceiver, EventSender, event_channel};

/// Knows which egui context to repaint once the first frame has shown it.
#[derive(Debug, Clone, Default)]
pub struct RepaintOnEvent {
    /// Set on the first frame; the waker does nothing before (there is nothing to repaint).
    context: Arc<OnceLock<egui::Context>>,
}

impl RepaintOnEvent {
    /// An event channel that repaints the attached context when events arrive (once per
    /// frame's worth: the channel does not repeat the request until the window drains).
    #[must_use]
    pub fn channel() -> (Self, EventSender, EventReceiver) {
        let repaint = Self::default();
        let context = Arc::clone(&repaint.context);
        let (sender, receiver) = event_channel(Some(Arc::new(move || {
            if let Some(ctx) = context.get() {
                ctx.request_repaint();
            }
        })));
        (repaint, sender, receiver)
    }

    /// A waker that repaints the attached context: for news that comes by another way than
    /// the event channel (a capture's segments).
    #[must_use]
    pub fn waker(&self) -> Arc<dyn Fn() + Send + Sync> {
        let context = Arc::clone(&self.context);
        Arc::new(move || {
            if let Some(ctx) = context.get() {
                ctx.request_repaint();
            }
        })
    }

    /// Remembers the window's context (call every frame; only the first call counts).
    pub fn attach(&self, ctx: &egui::Context) {
        let _ = self.context.set(ctx.clone());
    }
}
