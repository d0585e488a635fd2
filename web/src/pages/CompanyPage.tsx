export default function CompanyPage() {
  return <h1 className="text-2xl font-bold">Company</h1>
}
