// Clang thread-safety annotations (-Wthread-safety). They expand to nothing on GCC.
#pragma once

#if defined(__clang__)
#define BAKERY_TSA(x) __attribute__((x))
#else
#define BAKERY_TSA(x)
#endif

#define CAPABILITY(x) BAKERY_TSA(capability(x))
#define SCOPED_CAPABILITY BAKERY_TSA(scoped_lockable)
#define GUARDED_BY(x) BAKERY_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) BAKERY_TSA(pt_guarded_by(x))
#define ACQUIRE(...) BAKERY_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) BAKERY_TSA(release_capability(__VA_ARGS__))
#define REQUIRES(...) BAKERY_TSA(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) BAKERY_TSA(locks_excluded(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS BAKERY_TSA(no_thread_safety_analysis)
