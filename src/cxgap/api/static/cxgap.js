/* The dashboard's behaviour in the browser, beside htmx: served by cxgap itself. */
