// Thread priorities: the service's background work (runs, previews, delivery, alerts, and the embedded warehouse's
// worker threads) runs below the API's request threads, so that a busy warehouse query never makes a page of the
// web app wait for the CPU.
//
//   std::thread worker([] { kith::thread::RunInBackground(); Work(); });
#pragma once

namespace kith::thread {

//! How much lower background threads run: Linux nice +10 (a tenth of the CPU share of a default thread when both
//! want it, all of it when the API is idle).
constexpr int kBackgroundNice = 10;

//! Lowers the calling thread's priority to kBackgroundNice (Linux: for this thread alone, inherited by the threads
//! it starts afterwards). Best effort: where the system refuses, the thread keeps its priority.
void RunInBackground();

//! The calling thread's nice value.
int Nice();

} // namespace kith::thread
