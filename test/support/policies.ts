// Policies several end-to-end suites share.

/** shop/orders in protect mode: GETs under /api for anyone, nothing else. */
export const ORDERS_READS_PROTECT = `apiVersion: meshward.io/v1alpha1
kind: SecurityPolicy
metadata: {name: orders, namespace: shop}
spec:
  selector: {workloads: [orders]}
  mode: protect
  ingress:
    - name: reads
      http: [{methods: [GET], paths: ["/api/**"]}]
`;
