//! Holding a trapped thread to the supervisor's CPU while it takes a
//! descriptor.
//!
//! The kernel wakes a thread waiting in a trapped call synchronously for the
//! answer (`SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`: on the answering CPU), but
//! not for `SECCOMP_IOCTL_NOTIF_ADDFD`: once the supervisor has worked a few
//! µs on the call, the scheduler moves the thread to the idle CPU to install
//! the descriptor, and the answer then crosses CPUs back. On this project's
//! 2-vCPU VMs that is about 20 µs of the 45 a handed-over open costs at 5 µs
//! of supervisor work (`bench/notify_floor.sh`: `addfd` against `pinned`).
//! So the thread is held to the supervisor's CPU for that moment, and given
//! back its own CPUs before the answer. Only if it may run there; nothing
//! is held if the kernel refuses.

use nix::sched::{CpuSet, sched_getaffinity, sched_getcpu, sched_setaffinity};
use nix::unistd::Pid;

/// A thread held to one CPU; its CPUs are given back when this is dropped.
#[derive(Debug)]
pub struct Held {
    thread: Pid,
    before: CpuSet,
    here: CpuSet,
}

impl Held {
    /// Holds thread `tid` to the CPU the calling thread runs on, if that is
    /// one of its CPUs.
    pub fn here(tid: u32) -> Option<Held> {
        let thread = Pid::from_raw(i32::try_from(tid).ok()?);
        let cpu = sched_getcpu().ok()?;
        let before = sched_getaffinity(thread).ok()?;
        if !before.is_set(cpu).ok()? {
            return None;
        }
        let mut here = CpuSet::new();
        here.set(cpu).ok()?;
        sched_setaffinity(thread, &here).ok()?;
        Some(Held {
            thread,
            before,
            here,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // If something set the thread's CPUs meanwhile (to anything but the
        // one it is held to), that stands.
        if sched_getaffinity(self.thread).is_ok_and(|now| now != self.here) {
            return;
        }
        if sched_setaffinity(self.thread, &self.before).is_err() {
            // Its CPUs changed under it (a cpuset): every CPU, as far as
            // the kernel allows, rather than one.
            let mut all = CpuSet::new();
            for cpu in 0..CpuSet::count() {
                let _ = all.set(cpu);
            }
            let _ = sched_setaffinity(self.thread, &all);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_thread() -> (u32, Pid) {
        let tid = nix::unistd::gettid();
        (tid.as_raw() as u32, tid)
    }

    #[test]
    fn a_thread_is_held_to_one_cpu_and_given_its_cpus_back() {
        let (tid, thread) = own_thread();
        let before = sched_getaffinity(thread).unwrap();
        {
            let held = Held::here(tid).expect("this thread may run where it runs");
            let now = sched_getaffinity(thread).unwrap();
            assert_eq!(now, held.here);
            let count = (0..CpuSet::count())
                .filter(|&cpu| now.is_set(cpu).unwrap())
                .count();
            assert_eq!(count, 1);
        }
        assert_eq!(sched_getaffinity(thread).unwrap(), before);
    }

    #[test]
    fn cpus_set_meanwhile_stand() {
        let (tid, thread) = own_thread();
        let before = sched_getaffinity(thread).unwrap();
        let held = Held::here(tid).unwrap();
        let here = held.here;
        // Someone else sets the thread's CPUs while it is held: all it had.
        sched_setaffinity(thread, &before).unwrap();
        // Every CPU it had but the one it is held to: a set distinct from
        // both (setting exactly the held CPU cannot be told from the hold).
        let mut chosen = before;
        let held_on = (0..CpuSet::count()).find(|&cpu| here.is_set(cpu).unwrap());
        chosen.unset(held_on.unwrap()).unwrap();
        if chosen == CpuSet::new() {
            // One CPU only: nothing else to choose.
            return;
        }
        sched_setaffinity(thread, &chosen).unwrap();
        drop(held);
        let now = sched_getaffinity(thread).unwrap();
        sched_setaffinity(thread, &before).unwrap();
        assert_eq!(now, chosen, "held to {here:?}");
    }
}
