#pragma once
// Stop requests: SIGTERM, SIGINT and SIGUSR1 (from a user, a batch system, or forwarded by mpirun)
// ask a job to stop handing out work, keep what has arrived and exit 3 (resumable). The handler
// only records the signal; the scheduler acts on it at its next poll.
namespace fractal {

// Exit code of a job stopped by a signal: everything that arrived is in OUT.h5.journal, and running
// the same command again resumes it (README "When a job is interrupted").
inline constexpr int kExitInterrupted = 3;

// Installs the recording handler for SIGTERM, SIGINT and SIGUSR1 (SA_RESTART, so interrupted
// system calls resume). Call once per process, after MPI_Init (which may install handlers of its own).
void install_stop_handlers();

// The first stop signal received by this process, or 0.
int stop_signal();

// "SIGTERM", "SIGINT", "SIGUSR1", or "signal N".
const char* signal_name(int sig);

}  // namespace fractal
