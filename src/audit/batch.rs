//! Taking records off a channel in batches, without a wake-up per record.
//!
//! A sender wakes the receiver only when the receiver waits in the channel.
//! So the receiver blocks for the first record, then sleeps while more
//! gather, then takes everything queued: a busy session's producers (the
//! supervisor's threads, on the trapped process's critical path) send
//! without a futex wake-up each, and a record waits at most the window.
//! The one who finishes the channel cuts the window short ([`Pause`]).

use super::writer::Message;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How long records gather after the first of a batch.
pub const WINDOW: Duration = Duration::from_millis(2);

/// Whether more batches may follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The channel is open.
    More,
    /// The last batch: finished, or every sender gone.
    Last,
}

/// The receiver's pause between the first record of a batch and the rest,
/// which ends early once the channel is being finished.
#[derive(Debug, Clone, Default)]
pub struct Pause(Arc<(Mutex<bool>, Condvar)>);

impl Pause {
    /// Ends the current pause and every later one: the end is near.
    pub fn finishing(&self) {
        let (finishing, changed) = &*self.0;
        *finishing.lock().unwrap_or_else(|e| e.into_inner()) = true;
        changed.notify_all();
    }

    fn wait(&self, window: Duration) {
        let (finishing, changed) = &*self.0;
        let guard = finishing.lock().unwrap_or_else(|e| e.into_inner());
        let _ = changed
            .wait_timeout_while(guard, window, |finishing| !*finishing)
            .map_err(|e| e.into_inner());
    }
}

/// Fills `batch` with the next messages (in order, `Finish` aside); blocks
/// until there is one.
pub fn receive(receiver: &Receiver<Message>, pause: &Pause, batch: &mut Vec<Message>) -> Next {
    match receiver.recv() {
        Ok(Message::Finish) | Err(_) => return Next::Last,
        Ok(message) => batch.push(message),
    }
    pause.wait(WINDOW);
    loop {
        match receiver.try_recv() {
            Err(TryRecvError::Empty) => return Next::More,
            Ok(Message::Finish) | Err(TryRecvError::Disconnected) => return Next::Last,
            Ok(message) => batch.push(message),
        }
    }
}
