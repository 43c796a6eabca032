/* SPDX-License-Identifier: MIT */
/* Replaced by harper-locator.h; kept while callers still include this name. */
#pragma once

#include "harper-locator.h"
