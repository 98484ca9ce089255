#include "webthreads/error.h"

const char *wt_strerror(int err) {
  switch (err) {
#define WT__ERR_MSG(name, value, msg) case WT_##name: return msg;
    WT_ERRNO_MAP(WT__ERR_MSG)
#undef WT__ERR_MSG
  }
  return "unknown webthreads error";
}

const char *wt_err_name(int err) {
  switch (err) {
#define WT__ERR_NAME(name, value, msg) case WT_##name: return #name;
    WT_ERRNO_MAP(WT__ERR_NAME)
#undef WT__ERR_NAME
  }
  return "UNKNOWN";
}
