/* Variant A of the op templates (see ops_body.h). */
#define CJ_VARIANT A
#include "ops_body.h"
