/* Chart downloads (PNG, CSV) and tooltips, in the browser: served by cxgap itself (issue 17). */
