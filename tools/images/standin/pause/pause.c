/*
 * The stand-in pause container (tools/images/standin/README.md): the process that holds a pod's
 * namespaces open while the pod's containers come and go. It does what Kubernetes' own pause.c
 * does, written here from that behaviour: sleep forever, reap any child that gets re-parented to
 * it (it is PID 1 of the pod when the pod shares one PID namespace), and exit 0 on SIGINT or
 * SIGTERM so that stopping a sandbox is immediate instead of waiting for SIGKILL.
 * Built with `gcc -static`: the image is FROM scratch, with no libc to link against.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef STANDIN_VERSION
#define STANDIN_VERSION "unknown"
#endif

/* Only async-signal-safe calls in handlers: write(2) and _exit(2), no stdio. */
static void stop(int sig) {
  static const char msg[] = "pause: shutting down on signal\n";
  (void)sig;
  (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
  _exit(0);
}

/* Every exited child at once: SIGCHLD is not queued, several exits may arrive as one signal. */
static void reap(int sig) {
  int saved = errno;
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved;
}

static int on(int sig, void (*handler)(int), int flags) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = handler;
  action.sa_flags = flags;
  sigemptyset(&action.sa_mask);
  return sigaction(sig, &action, NULL);
}

int main(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
    printf("pause (anypod stand-in) %s\n", STANDIN_VERSION);
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "usage: %s [-v]\n", argv[0]);
    return 64;
  }
  if (getpid() != 1) fprintf(stderr, "pause: warning: not PID 1, orphans will not be re-parented here\n");
  if (on(SIGINT, stop, 0) < 0 || on(SIGTERM, stop, 0) < 0 || on(SIGCHLD, reap, SA_NOCLDSTOP | SA_RESTART) < 0) {
    perror("pause: sigaction");
    return 1;
  }
  for (;;) pause();
}
